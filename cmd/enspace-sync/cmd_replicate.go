package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "replicate",
		summary: "copy configuration (and optionally data) from one workspace to another",
		usage:   "enspace-sync replicate [--config FILE] --from NAME --to NAME [--only KIND,...] [--include-data] [--from-snapshot SNAP] [--prune] [--dry-run] [--plan-out FILE] [--json]",
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

--dry-run, --plan-out, --json, the output and the exit status are those of
restore (see enspace-sync help restore).

Examples:
  enspace-sync replicate --from acme-stage --to acme --dry-run
  enspace-sync replicate --from acme-stage --to acme --plan-out promote.json
  enspace-sync replicate --from acme --to acme-copy --include-data
  enspace-sync replicate --from acme-stage --to acme --only types,fields --prune`,
		run: runReplicate,
	})
}

// configurationKinds are what replicate compares by default.
var configurationKinds = []string{"integrations", "types", "fields", "roles", "groups",
	"forms", "flows", "stages", "tasks", "schedule-tasks"}

// dataKinds are what --include-data adds.
var dataKinds = []string{"items", "members", "quick-tasks"}

// prunableKinds are the kinds --prune may delete from.
var prunableKinds = []string{"types", "fields", "roles", "groups", "integrations"}

func runReplicate(ctx context.Context, m *Main, args []string) error {
	var from, to, only, fromSnap, planOut *string
	var includeData, prune, dryRun *bool
	inv, err := m.start("replicate", args, 0, func(fs *flag.FlagSet) {
		from = fs.String("from", "", "the source workspace, by its name in the config (required)")
		to = fs.String("to", "", "the target workspace, by its name in the config (required)")
		only = fs.String("only", "", "compare only these kinds, comma-separated (types,fields,roles,...)")
		includeData = fs.Bool("include-data", false, "also copy items, members, group membership and quick tasks")
		fromSnap = fs.String("from-snapshot", "", "read the source from this snapshot of --from instead of the live API")
		prune = fs.Bool("prune", false, "also delete configuration objects that the source lacks")
		dryRun = fs.Bool("dry-run", false, "print the plan; change nothing")
		planOut = fs.String("plan-out", "", "save the plan as JSON to this file instead of applying it (apply it later with enspace-sync apply FILE)")
	})
	if err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usagef("replicate", "--from and --to are required")
	}
	source, err := pickWorkspace(inv.cfg, *from, "replicate --from")
	if err != nil {
		return err
	}
	target, err := pickWorkspace(inv.cfg, *to, "replicate --to")
	if err != nil {
		return err
	}
	if source.Name == target.Name || sameWorkspace(inv.cfg, source, target) {
		return usagef("replicate", "--from and --to are the same workspace")
	}
	kinds, err := replicateKinds(*only, *includeData)
	if err != nil {
		return err
	}
	db, err := planDB(m, inv.cfg, *dryRun || *planOut != "", "replicate")
	if err != nil {
		return err
	}
	rp, err := planReplication(ctx, m, inv.cfg, db, newClients(inv.cfg, m.log), replicationSpec{
		source: source, target: target, kinds: kinds, prune: *prune, fromSnapshot: *fromSnap})
	if err != nil {
		return err
	}
	run := &planRun{m: m, inv: inv, target: target, client: rp.client, ids: rp.ids, dryRun: *dryRun, planOut: *planOut}
	return run.finish(ctx, rp.plan)
}

// replicationSpec is what to replicate.
type replicationSpec struct {
	source, target *config.Workspace
	kinds          []string
	prune          bool
	fromSnapshot   string // "" reads the source live
}

// replicationPlan is a planned replication and what applying it needs.
type replicationPlan struct {
	plan    *restore.Plan
	client  *api.Client     // the target's
	ids     *snapshot.IDMap // nil without a database
	targets int             // objects of the target that were compared
}

// planReplication reads both sides and builds the plan; db may be nil (a
// dry run without a database).
func planReplication(ctx context.Context, m *Main, cfg *config.Config, db *snapshot.DB, cl *clients, spec replicationSpec) (*replicationPlan, error) {
	source, target := spec.source, spec.target
	sel := restore.SelectKinds(spec.kinds)
	// Both sides are read whole but for items, which only data needs: the
	// references of tasks and groups resolve through members and roles.
	scope := restore.Scope{}
	for _, k := range restore.PlannedKinds() {
		if k != "items" || contains(spec.kinds, "items") {
			scope.Kinds = append(scope.Kinds, k)
		}
	}
	var set *restore.Set
	ref := "live"
	if spec.fromSnapshot != "" {
		if db == nil {
			return nil, fmt.Errorf("no database at %s: --from-snapshot needs a backup of %s", cfg.Database, source.Name)
		}
		snap, err := resolveSnapshot(db, cfg, source.Name, spec.fromSnapshot)
		if err != nil {
			return nil, err
		}
		if snap.Workspace != source.Name {
			return nil, fmt.Errorf("snapshot %s is of workspace %s, not %s", snap.ShortID(), snap.Workspace, source.Name)
		}
		if set, err = snapshotSet(db, snap); err != nil {
			return nil, err
		}
		ref = "snapshot " + snap.ShortID() + " of " + snap.StartedAt.Local().Format("2006-01-02 15:04")
	} else {
		sc, err := cl.For(source)
		if err != nil {
			return nil, err
		}
		if set, err = liveSet(ctx, m, sc, source, scope); err != nil {
			return nil, err
		}
	}
	planIDs, ids, err := idsFor(db, target.Name, source.Name)
	if err != nil {
		return nil, err
	}
	client, err := cl.For(target)
	if err != nil {
		return nil, err
	}
	live, err := liveSet(ctx, m, client, target, scope)
	if err != nil {
		return nil, err
	}
	var pruneKinds []string
	for _, k := range prunableKinds {
		if contains(spec.kinds, k) {
			pruneKinds = append(pruneKinds, k)
		}
	}
	plan, err := restore.Build(restore.Input{
		Operation: "replicate", Source: set, SourceName: source.Name, SourceRef: ref,
		Target: live, TargetName: target.Name, Scope: scope, Select: sel, IDs: planIDs,
		Secrets:     envSecrets{name: target.Environment, env: cfg.Environments[target.Environment]},
		Environment: integrationEnvironment(cfg, target),
		Prune:       spec.prune, PruneKinds: pruneKinds,
	})
	if err != nil {
		return nil, err
	}
	return &replicationPlan{plan: plan, client: client, ids: ids, targets: live.Len()}, nil
}

// replicateKinds returns the kinds a replication compares.
func replicateKinds(only string, includeData bool) ([]string, error) {
	kinds := append([]string(nil), configurationKinds...)
	if includeData {
		kinds = append(kinds, dataKinds...)
	}
	if only == "" {
		return kinds, nil
	}
	var picked []string
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		k, err := api.KindByName(name)
		if err != nil {
			return nil, usagef("replicate", "--only: %v", err)
		}
		if !contains(restore.PlannedKinds(), k.Name) {
			return nil, usagef("replicate", "--only: %s cannot be replicated", k.Name)
		}
		picked = append(picked, k.Name)
	}
	// The kinds under a type need the types to be compared too.
	if !contains(picked, "types") {
		for _, k := range picked {
			if kk, _ := api.KindByName(k); kk.Parent != "" {
				picked = append(picked, "types")
				break
			}
		}
	}
	return picked, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
