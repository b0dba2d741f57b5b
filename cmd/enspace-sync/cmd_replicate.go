package main

import (
	"context"
	"flag"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

func init() {
	register(&command{
		name:    "replicate",
		summary: "copy config, optionally with data, to another workspace",
		usage:   "enspace-sync replicate [--config FILE] --from NAME --to NAME [--only KIND,...] [--include-data] [--from-snapshot SNAP] [--prune] [--dry-run] [--yes] [--plan-out FILE] [--json]",
		help: `Plans, then applies, the writes that make the target workspace's
configuration match the source's: typically from a stage environment to
production. Both are workspaces of the config, in the same or different
environments.

By default the configuration kinds are compared: types, fields, roles with
their permissions, member groups and integrations; the read-only kinds
(forms, flows, stages, tasks, schedule tasks) are listed as manual with
what differs. Objects are matched by the id map of earlier replications,
then by natural key (a type's slug, a field's slug, a role's slug, a
group's name, an integration's provider). Integrations take their secrets
from the target environment's secrets: config (the plan names the key,
never the value) and their data.environment from the target; without a
needed secret an integration is manual.

--include-data also copies items, members, group membership and quick
tasks, so that a whole workspace can be copied into an empty one.
--only KIND,... compares only these kinds. --prune also deletes from the
target the configuration objects the source lacks (types with everything
under them, fields, roles, groups); the plan lists each one. Without
--prune nothing is deleted.

--from-snapshot SNAP reads the source from a snapshot of the --from
workspace instead of the live API.

--dry-run, --yes (and the question before writing), --plan-out, --json, the
output and the exit status are those of restore (see enspace-sync help
restore).

Examples:
  enspace-sync replicate --from acme-stage --to acme --dry-run
  enspace-sync replicate --from acme-stage --to acme --plan-out promote.json
  enspace-sync replicate --from acme --to acme-copy --include-data --yes
  enspace-sync replicate --from acme-stage --to acme --only types,fields --prune`,
		run: configured("replicate", 0, replicateCommand),
	})
}

// replicateOptions are replicate's flags and arguments.
type replicateOptions struct {
	invocation
	req  app.ReplicationRequest
	only string
	out  planPrinter
}

func (o *replicateOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.req.From, "from", "", "the source workspace, by its name in the config (required)")
	fs.StringVar(&o.req.To, "to", "", "the target workspace, by its name in the config (required)")
	fs.StringVar(&o.only, "only", "", "compare only these kinds, comma-separated (types,fields,roles,...)")
	fs.BoolVar(&o.req.IncludeData, "include-data", false, "also copy items, members, group membership and quick tasks")
	fs.StringVar(&o.req.FromSnapshot, "from-snapshot", "", "read the source from this snapshot of --from instead of the live API")
	fs.BoolVar(&o.req.Prune, "prune", false, "also delete configuration objects that the source lacks")
	fs.BoolVar(&o.out.dryRun, "dry-run", false, "print the plan; change nothing")
	yesFlag(fs, &o.out.yes)
	fs.StringVar(&o.out.planOut, "plan-out", "", "save the plan as JSON to this file instead of applying it (apply it later with enspace-sync apply FILE)")
}

// replicateCommand plans copying configuration between workspaces, then applies, saves or prints it.
func replicateCommand(ctx context.Context, m *Main, o *replicateOptions) error {
	o.out.asJSON, o.out.quiet, o.out.command = o.g.asJSON, o.g.quiet, "replicate"
	if o.req.From == "" || o.req.To == "" {
		return usagef("replicate", "--from and --to are required")
	}
	for _, k := range strings.Split(o.only, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.req.Only = append(o.req.Only, k)
		}
	}
	// The kinds are checked before the database is opened.
	if _, err := app.ReplicationKinds(o.req.Only, o.req.IncludeData); err != nil {
		return err
	}
	svc, err := m.planService(o.cfg, o.out.dryRun || o.out.planOut != "", "replicate")
	if err != nil {
		return err
	}
	p, err := svc.PlanReplication(ctx, o.req)
	if err != nil {
		return err
	}
	return o.out.finish(ctx, m, svc, p)
}
