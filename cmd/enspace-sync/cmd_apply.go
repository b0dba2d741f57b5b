package main

import (
	"context"
	"flag"
)

func init() {
	register(&command{
		name:    "apply",
		summary: "apply a plan saved by restore or replicate --plan-out",
		usage:   "enspace-sync apply [--config FILE] [--yes] [--json] FILE",
		help: `Applies a plan that restore or replicate saved with --plan-out, after
reading the target workspace again: when anything in it changed since the
plan was made, apply refuses and asks to plan again, so that a plan
reviewed yesterday never writes over today's changes.

The target is the plan's target workspace, by its name in the config; the
id map and the secrets are those of the config, as for restore. Output,
--json, --yes (and the question before writing) and the exit status are
those of restore.

Examples:
  enspace-sync replicate --from acme-stage --to acme --plan-out promote.json
  enspace-sync apply promote.json`,
		run: configured("apply", 1, applyCommand),
	})
}

// applyOptions are apply's flags and arguments.
type applyOptions struct {
	invocation
	yes bool
}

func (o *applyOptions) flags(fs *flag.FlagSet) { yesFlag(fs, &o.yes) }

// applyCommand applies the plan file o names after checking that its target is unchanged.
func applyCommand(ctx context.Context, m *Main, o *applyOptions) error {
	if len(o.args) != 1 {
		return usagef("apply", "name the plan file")
	}
	svc, err := m.openService(o.cfg, false, "apply")
	if err != nil {
		return err
	}
	p, err := svc.LoadPlan(ctx, o.args[0])
	if err != nil {
		return err
	}
	out := planPrinter{asJSON: o.g.asJSON, quiet: o.g.quiet, yes: o.yes, command: "apply"}
	if p.Plan.Empty() {
		return out.print(m, p.Plan, nil)
	}
	return out.apply(ctx, m, svc, p)
}
