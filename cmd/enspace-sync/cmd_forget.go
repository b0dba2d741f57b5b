package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

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
		run: runForget,
	})
}

type policyFlags struct {
	last, daily, weekly, monthly int
}

func (p *policyFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&p.last, "keep-last", -1, "keep the N newest snapshots (-1 = from the config)")
	fs.IntVar(&p.daily, "keep-daily", -1, "keep the newest snapshot of each of the last N days (-1 = from the config)")
	fs.IntVar(&p.weekly, "keep-weekly", -1, "keep the newest snapshot of each of the last N weeks (-1 = from the config)")
	fs.IntVar(&p.monthly, "keep-monthly", -1, "keep the newest snapshot of each of the last N months (-1 = from the config)")
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

func runForget(ctx context.Context, m *Main, args []string) error {
	var pf policyFlags
	var names stringList
	var dryRun, prune bool
	inv, err := m.start("forget", args, 0, func(fs *flag.FlagSet) {
		pf.register(fs)
		fs.Var(&names, "workspace", "only this workspace; repeat for several (default all)")
		fs.BoolVar(&dryRun, "dry-run", false, "print what would be removed, remove nothing")
		fs.BoolVar(&prune, "prune", false, "after removing, delete stored objects no snapshot uses")
	})
	if err != nil {
		return err
	}
	db, err := m.openDB(inv.cfg, dryRun, "forget")
	if err != nil {
		return err
	}
	svc, err := m.service(inv.cfg, db)
	if err != nil {
		return err
	}
	res, err := svc.Retain(app.RetainRequest{Workspaces: names, DryRun: dryRun, Prune: prune,
		Policy: func(ws *config.Workspace) snapshot.Policy { return pf.policy(ws.Retention) }})
	if err != nil {
		return err
	}
	type decisionJSON struct {
		ID        string    `json:"id"`
		Workspace string    `json:"workspace"`
		Time      time.Time `json:"time"`
		Status    string    `json:"status"`
		Keep      bool      `json:"keep"`
		Reasons   []string  `json:"reasons"`
	}
	out := []decisionJSON{}
	for _, d := range res.Decisions {
		reasons := d.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		out = append(out, decisionJSON{d.Snapshot.ID, d.Workspace, d.Snapshot.StartedAt.UTC(), string(d.Snapshot.Status), d.Keep, reasons})
		if !inv.g.asJSON {
			verb := "keep  "
			if !d.Keep {
				verb = "remove"
			}
			fmt.Fprintf(m.Stdout, "%s %s  %-12s %s  %-8s  %s\n", verb, d.Snapshot.ShortID(), d.Workspace,
				d.Snapshot.StartedAt.In(svc.Location()).Format("2006-01-02 15:04"), d.Snapshot.Status, strings.Join(reasons, ", "))
		}
	}
	result := map[string]any{"dry_run": dryRun, "snapshots": out, "removed": res.Removed}
	if st := res.Pruned; st != nil {
		result["pruned_objects"], result["freed_bytes"] = st.Objects(), st.Bytes
		if !inv.g.asJSON {
			fmt.Fprintf(m.Stdout, "pruned %d stored objects, %s freed\n", st.Objects(), humanBytes(st.Bytes))
		}
	}
	if inv.g.asJSON {
		return printJSON(m, result)
	}
	if dryRun {
		fmt.Fprintf(m.Stdout, "dry run: %d snapshots would be removed\n", res.Removed)
	} else {
		fmt.Fprintf(m.Stdout, "removed %d snapshots\n", res.Removed)
	}
	return nil
}
