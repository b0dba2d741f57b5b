package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "forget",
		summary: "remove snapshots by retention policy",
		usage:   "enspace-sync forget [--config FILE] [--workspace NAME] [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--dry-run] [--prune]",
		help: `Applies the retention policy of each workspace (from the config, or from
the --keep-* flags, which replace it for this run) and removes the
snapshots it does not keep. Prints keep or remove with the reason for each
snapshot.

Rules: keep-last keeps the N newest snapshots; keep-daily the newest of each
of the last N days that have one; keep-weekly by ISO week; keep-monthly by
month. Partial snapshots never count towards the rules. The newest complete
snapshot is always kept. Days follow the config's timezone.

Removing a snapshot removes its record; --prune then deletes the stored
objects that no remaining snapshot uses and reports the bytes freed (the
same as running "enspace-sync prune").

Examples:
  enspace-sync forget --dry-run
  enspace-sync forget --workspace acme --keep-last 3 --prune`,
		local: true,
		run:   configured("forget", 0, forgetCommand),
	})
}

type policyFlags struct {
	last, daily, weekly, monthly int
}

func (p *policyFlags) register(fs *flag.FlagSet) {
	fs.Var((*keepFlag)(&p.last), "keep-last", "keep the `N` newest snapshots (-1 = from the config)")
	fs.Var((*keepFlag)(&p.daily), "keep-daily", "keep the newest snapshot of each of the last `N` days (-1 = from the config)")
	fs.Var((*keepFlag)(&p.weekly), "keep-weekly", "keep the newest snapshot of each of the last `N` weeks (-1 = from the config)")
	fs.Var((*keepFlag)(&p.monthly), "keep-monthly", "keep the newest snapshot of each of the last `N` months (-1 = from the config)")
	p.last, p.daily, p.weekly, p.monthly = -1, -1, -1, -1
}

// keepFlag is a --keep-* count: 0 or more, or -1 for the config's rule.
type keepFlag int

func (k *keepFlag) String() string { return strconv.Itoa(int(*k)) }

func (k *keepFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return errors.New("not a whole number")
	case n < -1:
		return fmt.Errorf("%d is negative (0 turns the rule off, -1 takes it from the config)", n)
	}
	*k = keepFlag(n)
	return nil
}

// policy returns the flags' policy if any flag was given, else the config's.
func (p *policyFlags) policy(r config.Retention) snapshot.Policy {
	if p.last < 0 && p.daily < 0 && p.weekly < 0 && p.monthly < 0 {
		return app.ConfigPolicy(r)
	}
	zero := func(n int) int {
		if n < 0 {
			return 0
		}
		return n
	}
	return snapshot.Policy{KeepLast: zero(p.last), KeepDaily: zero(p.daily), KeepWeekly: zero(p.weekly), KeepMonthly: zero(p.monthly)}
}

// forgetOptions are forget's flags and arguments.
type forgetOptions struct {
	invocation
	pf     policyFlags
	names  stringList
	dryRun bool
	prune  bool
}

func (o *forgetOptions) flags(fs *flag.FlagSet) {
	o.pf.register(fs)
	fs.Var(&o.names, "workspace", "only this workspace; repeat for several (default all)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what would be removed, remove nothing")
	fs.BoolVar(&o.prune, "prune", false, "after removing, delete stored objects no snapshot uses")
}

// forgetCommand removes the snapshots the retention policy does not keep.
func forgetCommand(ctx context.Context, m *Main, o *forgetOptions) error {
	svc, err := m.openService(o.cfg, o.dryRun, "forget")
	if err != nil {
		return err
	}
	res, err := svc.Retain(app.RetainRequest{Workspaces: o.names, DryRun: o.dryRun, Prune: o.prune,
		Policy: func(ws *config.Workspace) snapshot.Policy { return o.pf.policy(ws.Retention) }})
	if err != nil {
		return err
	}
	for _, d := range res.Decisions {
		if !o.g.asJSON {
			verb := "keep  "
			if !d.Keep {
				verb = "remove"
			}
			fmt.Fprintf(m.Stdout, "%s %s  %-12s %s  %-8s  %s\n", verb, d.Snapshot.ShortID(), d.Workspace,
				d.Snapshot.StartedAt.In(svc.Location()).Format("2006-01-02 15:04"), d.Snapshot.Status, strings.Join(d.Reasons, ", "))
		}
	}
	out := append([]app.WorkspaceDecision{}, res.Decisions...)
	result := map[string]any{"dry_run": o.dryRun, "snapshots": out, "removed": res.Removed}
	if st := res.Pruned; st != nil {
		result["pruned_objects"], result["freed_bytes"] = st.Objects(), st.Bytes
		if !o.g.asJSON {
			fmt.Fprintf(m.Stdout, "pruned %d stored objects, %s freed\n", st.Objects(), humanBytes(st.Bytes))
		}
	}
	if o.g.asJSON {
		return printJSON(m, result)
	}
	if o.dryRun {
		fmt.Fprintf(m.Stdout, "dry run: %d snapshots would be removed\n", res.Removed)
	} else {
		fmt.Fprintf(m.Stdout, "removed %d snapshots\n", res.Removed)
	}
	return nil
}
