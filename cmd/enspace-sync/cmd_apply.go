package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/enspace-sync/enspace-sync/internal/restore"
)

func init() {
	register(&command{
		name:    "apply",
		summary: "apply a plan saved by restore or replicate --plan-out",
		usage:   "enspace-sync apply [--config FILE] [--json] FILE",
		help: `Applies a plan that restore or replicate saved with --plan-out, after
reading the target workspace again: when anything in it changed since the
plan was made, apply refuses and asks to plan again, so that a plan
reviewed yesterday never writes over today's changes.

The target is the plan's target workspace, by its name in the config; the
id map and the secrets are those of the config, as for restore. Output,
--json and the exit status are those of restore.

Examples:
  enspace-sync replicate --from acme-stage --to acme --plan-out promote.json
  enspace-sync apply promote.json`,
		run: runApply,
	})
}

// ErrTargetChanged is returned when a saved plan's target changed since
// the plan was made.
var ErrTargetChanged = errors.New("the target changed since the plan was made")

func runApply(ctx context.Context, m *Main, args []string) error {
	inv, err := m.start("apply", args, 1, nil)
	if err != nil {
		return err
	}
	if len(inv.args) != 1 {
		return usagef("apply", "name the plan file")
	}
	plan, err := restore.ReadPlan(inv.args[0])
	if errors.Is(err, os.ErrNotExist) {
		return usagef("apply", "no plan file %s", inv.args[0])
	}
	if err != nil {
		return err
	}
	target, err := pickWorkspace(inv.cfg, plan.Target, "apply")
	if err != nil {
		return err
	}
	db, err := m.openDB(inv.cfg, false, "apply")
	if err != nil {
		return err
	}
	ids, err := db.IDMap(target.Name, plan.Source)
	if err != nil {
		return err
	}
	client, err := newClients(inv.cfg, m.log).For(target)
	if err != nil {
		return err
	}
	live, err := liveSet(ctx, m, client, target, plan.Scope)
	if err != nil {
		return err
	}
	if restore.Fingerprint(live) != plan.Fingerprint {
		return fmt.Errorf("%w (%s was read again and differs from what %s was planned against): plan again",
			ErrTargetChanged, target.Name, inv.args[0])
	}
	if plan.Empty() {
		return (&planRun{m: m, inv: inv}).print(plan, nil)
	}
	run := &planRun{m: m, inv: inv, target: target, client: client, ids: ids}
	return run.apply(ctx, plan)
}
