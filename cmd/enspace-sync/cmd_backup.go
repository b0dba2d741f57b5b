package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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

// backupCommand backs up the workspaces o names, each into a new snapshot.
func backupCommand(ctx context.Context, m *Main, o *backupOptions) error {
	svc, err := m.openService(o.cfg, false, "backup")
	if err != nil {
		return err
	}
	workspaces, err := svc.Workspaces(o.workspaces)
	if err != nil {
		return err
	}
	var failed []string
	var errs []error // of the failed workspaces, in order
	var stored []*snapshot.Snapshot
	var partial int
	for i, ws := range workspaces {
		if ctx.Err() != nil {
			// Stopped between workspaces (while the one before was
			// committed): this one was not started, nor are the rest.
			cut := &app.InterruptedBackup{Stored: stored, Failed: failed, NotStarted: workspaceNames(workspaces[i:])}
			return backupInterrupted(m, o, cut, fmt.Sprintf("backup interrupted before %s started", ws.Name), ctx.Err())
		}
		line := progress.New(m.Stderr, ws.Name, o.g.quiet)
		if client, err := svc.Client(ws); err == nil {
			line.WatchPauses(client.PausedUntil)
		}
		res, err := svc.Backup(ctx, app.BackupRequest{Workspace: ws.Name, Progress: line})
		line.Done()
		switch {
		case err != nil && ctx.Err() != nil:
			cut := &app.InterruptedBackup{Workspace: ws.Name, Stored: stored, Failed: failed, NotStarted: workspaceNames(workspaces[i+1:])}
			return backupInterrupted(m, o, cut, "backup of "+ws.Name+" interrupted", ctx.Err())
		case err != nil:
			failed = append(failed, ws.Name)
			errs = append(errs, err)
			m.log.Error("backup failed", "workspace", ws.Name, "err", err)
			if o.g.asJSON {
				line, _ := json.Marshal(map[string]string{"workspace": ws.Name, "status": string(app.StatusFailed), "error": err.Error()})
				fmt.Fprintf(m.Stdout, "%s\n", line)
			} else {
				fmt.Fprintf(m.Stdout, "%s: backup failed: %s\n", ws.Name, err)
			}
			var fe *app.FailureError
			if errors.As(err, &fe) && fe.Hint != "" {
				fmt.Fprintf(m.Stderr, "Try: %s\n", fe.Hint)
			}
			continue
		case res.Snapshot.Status == snapshot.StatusPartial:
			partial++
		}
		stored = append(stored, res.Snapshot)
		if o.g.asJSON {
			line, _ := json.Marshal(app.NewSnapshotJSON(res.Snapshot))
			fmt.Fprintf(m.Stdout, "%s\n", line)
		} else if !o.g.quiet {
			printBackup(m, res.Snapshot)
		}
	}
	return backupExit(failed, errs, len(workspaces), partial)
}

// workspaceNames is the names of ws, in order.
func workspaceNames(ws []*config.Workspace) []string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	return names
}

// backupInterrupted prints cut's --json line and returns the error of an
// interrupted backup: what, then what the run stored and did not.
func backupInterrupted(m *Main, o *backupOptions, cut *app.InterruptedBackup, what string, cause error) error {
	if o.g.asJSON {
		line, _ := json.Marshal(cut.JSON())
		fmt.Fprintf(m.Stdout, "%s\n", line)
	}
	return interruptedWith(what+": "+cut.Summary(), cause)
}

// backupExit is the exit status of a backup over n workspaces, failed of
// which failed with errs (each already printed) and partial of which
// stored a partial snapshot: 3 when some were stored and some failed, as
// offsite push over several targets; when every one failed, 2 if each
// failed on a key file the config could not read (app.AllSecret: an
// invalid config, nothing was tried, as offsite push), 1 otherwise; 3 when
// every one was stored and some only partially. Over several workspaces
// the error names the failed ones.
func backupExit(failed []string, errs []error, n, partial int) error {
	code := ExitError
	if app.AllSecret(errs) {
		code = ExitUsage
	}
	switch {
	case len(failed) > 0 && n == 1:
		return withExit(code, nil)
	case len(failed) == n:
		return withExit(code, fmt.Errorf("the backups of all %d workspaces failed: %s", n, strings.Join(failed, ", ")))
	case len(failed) > 0:
		return withExit(ExitPartial, fmt.Errorf("%d of %d workspaces failed: %s (the others were stored)", len(failed), n, strings.Join(failed, ", ")))
	case partial > 0:
		return withExit(ExitPartial, nil)
	}
	return nil
}

func printBackup(m *Main, s *snapshot.Snapshot) {
	_ = m.writeText(func(w io.Writer) error {
		for _, line := range app.SnapshotLines(s) {
			fmt.Fprintln(w, line)
		}
		return nil
	})
}
