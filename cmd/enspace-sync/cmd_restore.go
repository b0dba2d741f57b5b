package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

func init() {
	register(&command{
		name:    "restore",
		summary: "bring objects of a snapshot back into a workspace",
		usage:   "enspace-sync restore [--config FILE] [--workspace NAME] [--snapshot SNAP | --from-export PATH] [--to NAME] [--dry-run] [--yes] [--plan-out FILE] [--json] SELECTOR... | all",
		help: `Plans, then applies, the writes that bring objects of a snapshot back:
into the same workspace, or with --to into another configured workspace.
Nothing is ever deleted. Objects the target has are matched (through the id
map of earlier restores, the same id, or their slug, name or e-mail) and
updated to the snapshot's state, or skipped when equal; the others are
created, in the order their references need, and each new id is recorded
at once in the database so that a restore that is interrupted or repeated
never creates an object twice.

Selectors are those of show: type:SLUG (the type with its fields, items,
forms, flows, schedule tasks, the relation fields of other types that point
at it, the role permissions on it, and the relation values of other items
that point at its items), item:TYPE/ID, field:TYPE/SLUG, role:SLUG,
group:NAME, member:EMAIL, integration:ID, quick-task:ID, a kind name
(members), or all.

--from-export PATH restores from an export (a directory, .tar.gz, .tgz or
.tar.zst written by "enspace-sync export" in ndjson or json format) instead
of a snapshot: every file is checked against the export's manifest first. The
target is --to, or the workspace the export was taken of.

What the API cannot write is listed as manual, with what to do in the
Enspace UI: flows, stages, forms, schedule tasks, the owner, tasks whose
stage is gone, and integrations that differ or whose secret is not in the
target environment's secrets: config.

Before writing, it asks "Apply N writes to WORKSPACE? [y/N]" on a
terminal; any answer but y writes nothing (exit 1). --yes applies without
asking; without a terminal (cron, scripts) --yes is required, else the
command refuses with exit 2 and writes nothing.

--dry-run prints the plan and changes nothing. --plan-out FILE saves the
plan instead of applying it; "enspace-sync apply FILE" applies it later,
and refuses if the target changed in between.

Output: the plan (a summary line, then each create, update and manual step
with its reason), then the results. Every field of the snapshot is
written, fields the API contract does not name included (but of an item
only its data, of a member or an integration its route's body); only the
ones it names are compared. Fields a server refuses as unknown ("property
X should not exist") are written without and listed once per kind
("types: the server refused fields it does not take: revision (not
restored)").
--json prints {"format", "version",
"operation", "source", "source_ref", "target", "scope", "fingerprint",
"steps": [{"kind", "parent", "key", "label", "action", "reason", "match",
"source_id", "target_id", "level", "changes", "body", "result": {"status",
"target_id", "error", "note"}}], "refused_fields": {KIND: [FIELD]},
"actions", "results"}.

Exit status: 0 when every step was done (or nothing was to do), 3 when
some steps failed (run the same command again: it resumes), 1 on error
(a key the server refuses, 401 or 403, stops the apply at the first write).

Examples:
  enspace-sync restore --snapshot latest~1 type:contracts --dry-run
  enspace-sync restore --snapshot latest~1 type:contracts
  enspace-sync restore --workspace acme member:ana@acme.com role:analyst
  enspace-sync restore --workspace acme --to acme-copy --yes all
  enspace-sync restore --from-export acme-2026-11-27.tar.gz type:contracts`,
		run: configured("restore", -1, restoreCommand),
	})
}

// restoreOptions are restore's flags and arguments.
type restoreOptions struct {
	invocation
	req app.RestoreRequest
	out planPrinter
}

func (o *restoreOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.req.Workspace, "workspace", "", "the workspace whose snapshot is restored (may be left out when the config has one)")
	fs.StringVar(&o.req.Snapshot, "snapshot", "", "the snapshot: an id, a unique id prefix, latest or latest~N (default latest)")
	fs.StringVar(&o.req.To, "to", "", "restore into this configured workspace instead (default: the same workspace)")
	fs.BoolVar(&o.out.dryRun, "dry-run", false, "print the plan; change nothing")
	yesFlag(fs, &o.out.yes)
	fs.StringVar(&o.req.FromExport, "from-export", "", "restore from this export (directory, .tar.gz or .tar.zst) instead of a snapshot")
	fs.StringVar(&o.out.planOut, "plan-out", "", "save the plan as JSON to this file instead of applying it (apply it later with enspace-sync apply FILE)")
}

// restoreCommand plans restoring what o selects, then applies, saves or prints it.
func restoreCommand(ctx context.Context, m *Main, o *restoreOptions) error {
	o.out.asJSON, o.out.quiet, o.out.command = o.g.asJSON, o.g.quiet, "restore"
	if len(o.args) == 0 {
		return usagef("restore", "name what to restore: a selector such as type:contracts, or all")
	}
	o.req.All = len(o.args) == 1 && o.args[0] == "all"
	if !o.req.All {
		for _, a := range o.args {
			s, err := selector.Parse(a)
			if err != nil {
				return usagef("restore", "%v", err)
			}
			o.req.Selectors = append(o.req.Selectors, s)
		}
	}
	open := m.openService
	if o.req.FromExport != "" {
		open = m.planService // an export needs no database to plan
	}
	svc, err := open(o.cfg, o.out.dryRun || o.out.planOut != "", "restore")
	if err != nil {
		return err
	}
	p, err := svc.PlanRestore(ctx, o.req)
	if err != nil {
		return err
	}
	return o.out.finish(ctx, m, svc, p)
}

// planService builds the core for planning and applying. A dry run opens the
// database read-only, and plans without an id map when there is none yet.
func (m *Main) planService(cfg *config.Config, dryRun bool, command string) (*app.Service, error) {
	if dryRun {
		if _, err := os.Stat(cfg.Database); errors.Is(err, os.ErrNotExist) {
			return m.service(cfg, nil)
		}
	}
	return m.openService(cfg, dryRun, command)
}
