package main

import (
	"context"
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

func runApply(ctx context.Context, m *Main, args []string) error {
	inv, err := m.start("apply", args, 1, nil)
	if err != nil {
		return err
	}
	if len(inv.args) != 1 {
		return usagef("apply", "name the plan file")
	}
	db, err := m.openDB(inv.cfg, false, "apply")
	if err != nil {
		return err
	}
	svc, err := m.service(inv.cfg, db)
	if err != nil {
		return err
	}
	p, err := svc.LoadPlan(ctx, inv.args[0])
	if err != nil {
		return err
	}
	out := planPrinter{asJSON: inv.g.asJSON}
	if p.Plan.Empty() {
		return out.print(m, p.Plan, nil)
	}
	return out.apply(ctx, m, svc, p)
}
