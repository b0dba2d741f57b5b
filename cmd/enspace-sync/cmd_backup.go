package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/progress"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "backup",
		summary: "back up workspaces into new snapshots",
		usage:   "enspace-sync backup [--config FILE] [--workspace NAME]... [--json]",
		help: `Pages through every resource of each workspace (all configured workspaces
when none is named) and stores the result as a new snapshot. Unchanged
objects cost nothing: content is stored once across all snapshots.

A snapshot becomes visible only once it is complete or partial; a run that
is interrupted leaves nothing behind. A kind that cannot be read after
retries makes the snapshot "partial": the kind and its error are recorded,
and the exit status is 3. An API key that the server refuses (401, 403)
fails the run at once. A workspace needs only its environment's key file:
one that cannot be read fails the workspaces of that environment (naming
the file) while the others are backed up, and a broken key or offsite
password file elsewhere in the config is one warning.

Exit status over several workspaces: 0 when all were stored complete; 3
when some were stored and others failed (the last line names the failed
ones), or when a snapshot is partial; 1 when every one failed, but 2 when
every one failed because its environment's key file cannot be read (an
invalid config: nothing was tried, as offsite push).

Output: per snapshot its id, status, objects per kind, requests, bytes added
and duration. With --json, one JSON object per line, per snapshot, with the
keys id, short_id, workspace, status, started_at, finished_at,
duration_seconds, counts, objects, requests, added_bytes, errors, drift,
changes (since the previous complete snapshot: since, summary, noise,
unknown; null for the first), anomalies, protected and healed (the objects
whose stored copy a scrub or verify --repair found damaged and this run
stored afresh: collection, key, hash; a "healed:" line each without --json).

After each snapshot the changes since the previous complete one are
printed and recorded. A type that disappeared, or a kind or a type's items
that shrank by more than the workspace's anomaly_threshold (default 30%),
is flagged as an ANOMALY, logged as a warning with a hint, and the snapshot
before it is kept by retention.
A workspace whose run failed prints {"workspace", "status": "failed", "error"}.

Interrupted (SIGINT, SIGTERM; exit 130), the run stores nothing of the
workspace it was backing up; the last line says so, and over several
workspaces also which were stored in this run (with their snapshot ids,
and "partial" after a partial one), which failed and which were not
started (stopped between two workspaces, it starts no other; the --json
line's "workspace" is then ""). With --json it prints {"workspace",
"status": "aborted", "error", "stored": [{"workspace", "id", "short_id",
"status"}], "failed", "not_started"}.

Examples:
  enspace-sync backup
  enspace-sync backup --workspace acme --json | jq .counts`,
		run: configured("backup", 0, backupCommand),
	})
}

// backupOptions are backup's flags.
type backupOptions struct {
	invocation
	workspaces stringList
}

func (o *backupOptions) flags(fs *flag.FlagSet) {
	fs.Var(&o.workspaces, "workspace", "workspace to back up, by its name in the config; repeat for several (default all)")
}

// backupCommand backs up the workspaces o names, each into a new snapshot,
// printing each snapshot or failure as it ends (app.BackupWorkspaces).
func backupCommand(ctx context.Context, m *Main, o *backupOptions) error {
	svc, err := m.openService(o.cfg, false, "backup")
	if err != nil {
		return err
	}
	workspaces, err := svc.Workspaces(o.workspaces)
	if err != nil {
		return err
	}
	err = svc.BackupWorkspaces(ctx, workspaces, app.BackupEach{
		Start: func(ws *config.Workspace) (app.Progress, func()) {
			line := progress.New(m.Stderr, ws.Name, o.g.quiet)
			if client, err := svc.Client(ws); err == nil {
				line.WatchPauses(client.PausedUntil)
			}
			return line, line.Done
		},
		Stored: func(res *app.BackupResult) {
			if o.g.asJSON {
				line, _ := json.Marshal(app.NewSnapshotJSON(res.Snapshot))
				fmt.Fprintf(m.Stdout, "%s\n", line)
			} else if !o.g.quiet {
				printBackup(m, res.Snapshot)
			}
		},
		Failed: func(ws string, err error) {
			m.log.Error("backup failed", "workspace", ws, "err", err)
			if o.g.asJSON {
				line, _ := json.Marshal(map[string]string{"workspace": ws, "status": string(app.StatusFailed), "error": err.Error()})
				fmt.Fprintf(m.Stdout, "%s\n", line)
			} else {
				fmt.Fprintf(m.Stdout, "%s: backup failed: %s\n", ws, err)
			}
			var fe *app.FailureError
			if errors.As(err, &fe) && fe.Hint != "" {
				fmt.Fprintf(m.Stderr, "Try: %s\n", fe.Hint)
			}
		},
	})
	var cut *app.InterruptedBackup
	if errors.As(err, &cut) && o.g.asJSON {
		line, _ := json.Marshal(cut.JSON())
		fmt.Fprintf(m.Stdout, "%s\n", line)
	}
	return backupExit(err)
}

// backupExit is the exit status of a backup (app.BackupWorkspaces's
// error), by the rule of a command over several units (unitsExit), as
// offsite push over several targets: 3 when some workspaces were stored
// and some failed, or a snapshot is partial; when every one failed, 2 if
// each failed on a key file the config could not read, 1 otherwise. The
// failures were printed as they happened: over one workspace, or with
// none failed, nothing more is said.
func backupExit(err error) error {
	var be *app.BackupsError
	if !errors.As(err, &be) {
		return err
	}
	code := unitsExit(be.Partial(), be.AllConfig())
	if be.Summary() == "" {
		return withExit(code, nil)
	}
	return withExit(code, be)
}

func printBackup(m *Main, s *snapshot.Snapshot) {
	_ = m.writeText(func(w io.Writer) error {
		for _, line := range app.SnapshotLines(s) {
			fmt.Fprintln(w, line)
		}
		return nil
	})
}
