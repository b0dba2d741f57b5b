package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

func init() {
	register(&command{
		name:    "snapshots",
		summary: "list the snapshots in the database",
		usage:   "enspace-sync snapshots [--config FILE] [--workspace NAME] [--json]",
		help: `Lists the snapshots, oldest first: id, workspace, time, status, objects,
requests and bytes added. Interrupted runs are never listed: they left no
snapshot. With --json, an array of the objects that "backup --json" prints.

Examples:
  enspace-sync snapshots
  enspace-sync snapshots --workspace acme --json | jq -r '.[-1].id'`,
		local: true,
		run:   configured("snapshots", 0, snapshotsCommand),
	})
}

// snapshotsOptions are snapshots's flags and arguments.
type snapshotsOptions struct {
	invocation
	workspace string
}

func (o *snapshotsOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.workspace, "workspace", "", "only this workspace's snapshots")
}

// snapshotsCommand lists the snapshots.
func snapshotsCommand(ctx context.Context, m *Main, o *snapshotsOptions) error {
	if o.workspace != "" {
		if _, err := o.cfg.Workspace(o.workspace); err != nil {
			return &app.InputError{Msg: err.Error(), Hint: "enspace-sync config check", Absent: true}
		}
	}
	db, err := m.openDB(o.cfg, true, "snapshots")
	if err != nil {
		return err
	}
	snaps, err := db.Snapshots(o.workspace)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		out := make([]app.SnapshotJSON, 0, len(snaps))
		for _, s := range snaps {
			out = append(out, app.NewSnapshotJSON(s))
		}
		return printJSON(m, out)
	}
	if len(snaps) == 0 {
		fmt.Fprintln(m.Stdout, "no snapshots yet")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKSPACE\tTIME\tSTATUS\tOBJECTS\tREQUESTS\tADDED\tDURATION\tCHANGES")
	for _, s := range snaps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", s.ShortID(), s.Workspace,
			s.StartedAt.Local().Format("2006-01-02 15:04:05"), s.Status, s.Objects, s.Requests,
			humanBytes(s.AddedBytes), s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond), app.ChangeTotals(s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d snapshots\n", len(snaps))
	return nil
}
