package main

import (
	"context"
	"fmt"
)

func init() {
	register(&command{
		name:    "db compact",
		summary: "give back to the file system what forget and prune freed",
		usage:   "enspace-sync db compact [--config FILE] [--json]",
		help: `The database file never shrinks by itself: forget and prune free pages
inside it for later snapshots to reuse. compact writes a copy of the
database without the free pages next to it, syncs it, and moves it over
the database with a rename (then syncs the directory). A compaction that is
killed at any moment leaves the database as it was.

It needs the database for itself: stop the daemon first (systemctl stop
enspace-sync), or it exits with status 4 naming the process that holds it.
It needs free space for the copy (at most the database's size).

Output: the sizes before and after, and why the file grew when it did;
--json prints {"before_bytes", "after_bytes", "in_use_bytes"}.

Examples:
  enspace-sync forget --prune && enspace-sync db compact`,
		local: true,
		run:   configured("db compact", 0, dbCompactCommand),
	})
}

// dbCompactOptions are db compact's flags and arguments.
type dbCompactOptions struct{ invocation }

// dbCompactCommand rewrites the database without its free pages.
func dbCompactCommand(ctx context.Context, m *Main, o *dbCompactOptions) error {
	svc, err := m.openService(o.cfg, false, "db compact")
	if err != nil {
		return err
	}
	st, err := svc.Compact()
	if err != nil {
		return err
	}
	m.log.Info("database compacted", "before_bytes", st.Before, "after_bytes", st.After)
	if o.g.asJSON {
		return printJSON(m, map[string]int64{"before_bytes": st.Before, "after_bytes": st.After, "in_use_bytes": st.InUse})
	}
	why := ""
	if st.After > st.Before {
		why = fmt.Sprintf(" (it grew: its pages take %s, and bbolt grows a file in steps; the old file had no free room to give back)", humanBytes(st.InUse))
	}
	_, err = fmt.Fprintf(m.Stdout, "compacted %s: %s -> %s%s\n", svc.DB().Path(), humanBytes(st.Before), humanBytes(st.After), why)
	return err
}
