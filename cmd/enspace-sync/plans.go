package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/progress"
	"github.com/enspace-sync/enspace-sync/internal/restore"
)

// planPrinter is how restore, replicate and apply finish: save the plan,
// print it, and (unless a dry run or a saved plan) apply it and print the
// results.
type planPrinter struct {
	asJSON  bool
	dryRun  bool
	planOut string
	yes     bool   // apply without asking (see confirmWrites)
	quiet   bool   // no progress line
	command string // restore, replicate or apply, for the question
}

// yesFlag registers --yes into yes.
func yesFlag(fs interface {
	BoolVar(p *bool, name string, value bool, usage string)
}, yes *bool) {
	const usage = "apply without asking \"Apply N writes to WORKSPACE? [y/N]\" (needed without a terminal)"
	fs.BoolVar(yes, "yes", false, usage)
}

func (o planPrinter) finish(ctx context.Context, m *Main, svc *app.Service, p *app.Planned) error {
	for _, w := range p.Warnings {
		m.log.Warn(w)
	}
	if o.planOut != "" {
		if err := app.SavePlan(o.planOut, p.Plan); err != nil {
			return err
		}
	}
	if o.dryRun || o.planOut != "" || p.Plan.Empty() {
		if err := o.print(m, p.Plan, nil); err != nil {
			return err
		}
		if o.planOut != "" && !o.asJSON {
			fmt.Fprintf(m.Stderr, "Plan saved to %s; apply it with: enspace-sync apply %s\n", o.planOut, o.planOut)
		}
		return nil
	}
	if !o.asJSON {
		if err := m.writeText(func(w io.Writer) error { return restore.WriteText(w, p.Plan) }); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout)
	}
	return o.apply(ctx, m, svc, p)
}

// apply asks for confirmation, applies the plan and prints the results.
func (o planPrinter) apply(ctx context.Context, m *Main, svc *app.Service, p *app.Planned) error {
	if err := m.confirmWrites(o.yes, o.command, p.Plan); err != nil {
		return err
	}
	line := progress.New(m.Stderr, p.Target().Name, o.quiet)
	line.WatchPauses(p.PausedUntil)
	sum, err := svc.Apply(ctx, p, line)
	line.Done()
	if perr := o.print(m, p.Plan, sum); perr != nil && err == nil {
		err = perr
	}
	return o.interrupted(ctx, err, p.Target().Name, sum[restore.StatusDone])
}

// interrupted says of an apply stopped by the command's interruption
// (Ctrl-C: ctx cancelled and err is what that caused) what was
// interrupted, how far it got and that running it again resumes. Any
// other error (the id map could not be written, steps failed) is
// returned as it is, even when it landed while Ctrl-C was pressed.
func (o planPrinter) interrupted(ctx context.Context, err error, target string, done int) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		return err
	}
	again := "run the same command again: it resumes where this one stopped"
	if o.command == "apply" {
		again = "plan again with the restore or replicate that made the plan: it resumes where this one stopped"
	}
	return interruptedf("%s into %s interrupted after %d writes done: %s: %w", o.command, target, done, again, err)
}

// planJSON is the --json output: the plan with counts and, after an
// apply, the results.
type planJSON struct {
	*restore.Plan
	Actions map[restore.Action]int `json:"actions"`
	Results restore.Summary        `json:"results,omitempty"`
}

func (o planPrinter) print(m *Main, p *restore.Plan, sum restore.Summary) error {
	if o.asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(planJSON{Plan: p, Actions: p.Counts(), Results: sum})
	}
	if sum == nil {
		return m.writeText(func(w io.Writer) error { return restore.WriteText(w, p) })
	}
	return m.writeText(func(w io.Writer) error {
		for _, s := range p.Steps {
			if s.Result != nil && s.Result.Status == restore.StatusFailed {
				fmt.Fprintf(w, "FAILED %s %s %s: %s\n", s.Action, s.Kind, s.Key, s.Result.Error)
			}
		}
		if err := restore.WriteRefusedFields(w, p); err != nil {
			return err
		}
		return restore.WriteSummary(w, sum)
	})
}
