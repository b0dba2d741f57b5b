package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/diff"
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
fails the run at once.

Output: per snapshot its id, status, objects per kind, requests, bytes added
and duration. With --json, one JSON object per line, per snapshot, with the
keys id, short_id, workspace, status, started_at, finished_at,
duration_seconds, counts, objects, requests, added_bytes, errors, drift,
changes (since the previous complete snapshot: since, summary, noise,
unknown; null for the first), anomalies and protected.

After each snapshot the changes since the previous complete one are
printed and recorded. A type that disappeared, or a kind or a type's items
that shrank by more than the workspace's anomaly_threshold (default 30%),
is flagged as an ANOMALY, logged as a warning with a hint, and the snapshot
before it is kept by retention.
A workspace whose run failed prints {"workspace", "status": "failed", "error"}.

Examples:
  enspace-sync backup
  enspace-sync backup --workspace acme --json | jq .counts`,
		run: runBackup,
	})
}

func runBackup(ctx context.Context, m *Main, args []string) error {
	var names stringList
	inv, err := m.start("backup", args, 0, func(fs *flag.FlagSet) {
		fs.Var(&names, "workspace", "workspace to back up, by its name in the config; repeat for several (default all)")
	})
	if err != nil {
		return err
	}
	cfg, g := inv.cfg, inv.g
	workspaces, err := selectWorkspaces(cfg, names)
	if err != nil {
		return err
	}
	db, err := m.openDB(cfg, false, "backup")
	if err != nil {
		return err
	}
	cl := newClients(cfg, m.log)
	var failed, partial int
	for _, ws := range workspaces {
		snap, err := backupWorkspace(ctx, m, db, cl, ws)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("backup of %s interrupted: nothing was stored: %w", ws.Name, ctx.Err())
		case err != nil:
			failed++
			m.log.Error("backup failed", "workspace", ws.Name, "err", err)
			if g.asJSON {
				line, _ := json.Marshal(map[string]string{"workspace": ws.Name, "status": "failed", "error": err.Error()})
				fmt.Fprintf(m.Stdout, "%s\n", line)
			} else {
				fmt.Fprintf(m.Stdout, "%s: backup failed: %s\n", ws.Name, err)
			}
			continue
		case snap.Status == snapshot.StatusPartial:
			partial++
		}
		if g.asJSON {
			line, _ := json.Marshal(toJSON(snap))
			fmt.Fprintf(m.Stdout, "%s\n", line)
		} else {
			printBackup(m, snap)
		}
	}
	switch {
	case failed > 0:
		return withExit(ExitError, nil)
	case partial > 0:
		return withExit(ExitPartial, nil)
	}
	return nil
}

// backupWorkspace runs one backup and commits it, or aborts it so that
// nothing half-written becomes visible.
func backupWorkspace(ctx context.Context, m *Main, db *snapshot.DB, cl *clients, ws *config.Workspace) (*snapshot.Snapshot, error) {
	client, err := cl.For(ws)
	if err != nil {
		return nil, err
	}
	log := m.log.With("workspace", ws.Name)
	before := client.Stats().Requests
	w, err := db.Begin(ws.Name, time.Now())
	if err != nil {
		return nil, err
	}
	log.Info("backup started", "run", w.ID())
	progress := newProgress(m, ws.Name)
	if snaps, err := db.Snapshots(ws.Name); err == nil {
		for i := len(snaps) - 1; i >= 0; i-- {
			if snaps[i].Status == snapshot.StatusComplete {
				progress.expect(int64(snaps[i].Objects), nil, true) // about as many as last time
				break
			}
		}
	}
	res, err := backup.Run(ctx, client, w, backup.Options{
		Workspace: ws.Slug,
		Filter:    ws.Includes,
		Logger:    log,
		Progress:  progress.update,
	})
	progress.done()
	if err != nil {
		if abortErr := w.Abort(err); abortErr != nil {
			log.Error("abort the run", "err", abortErr)
		}
		if errors.Is(err, backup.ErrAccess) {
			err = fmt.Errorf("%w (check the API key of environment %s and its access to workspace %q)", err, ws.Environment, ws.Slug)
		}
		return nil, err
	}
	snap, err := w.Commit(snapshot.CommitInfo{
		FinishedAt: time.Now(),
		Requests:   int64(client.Stats().Requests - before),
		Config:     runConfig(ws),
		Drift:      res.Drift,
		Walked:     sortedKeys(res.Counts),
	})
	if err != nil {
		return nil, fmt.Errorf("commit the snapshot: %w", err)
	}
	log.Info("backup finished", "snapshot", snap.ShortID(), "status", snap.Status, "objects", snap.Objects,
		"requests", snap.Requests, "added_bytes", snap.AddedBytes)
	annotated, err := annotateChanges(db, snap, ws, log)
	if err != nil {
		// The snapshot is whole; only its summary of changes is missing.
		log.Error("summarise the changes of the snapshot", "snapshot", snap.ShortID(), "err", err)
		return snap, nil
	}
	return annotated, nil
}

// changesJSON is what a snapshot records of the changes since the
// previous complete snapshot of its workspace.
type changesJSON struct {
	Since   string                 `json:"since"`
	Summary map[string]diff.Counts `json:"summary"`
	Noise   map[string]diff.Noise  `json:"noise"`
	Unknown map[string]string      `json:"unknown"`
}

// annotateChanges compares snap with the previous complete snapshot of its
// workspace, records the summary and any anomaly in the snapshot, and logs
// each anomaly as a warning with the command that brings the data back.
func annotateChanges(db *snapshot.DB, snap *snapshot.Snapshot, ws *config.Workspace, log *slog.Logger) (*snapshot.Snapshot, error) {
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, err
	}
	var prev *snapshot.Snapshot
	for _, s := range snaps {
		if s.ID != snap.ID && s.Status == snapshot.StatusComplete && !s.StartedAt.After(snap.StartedAt) {
			prev = s
		}
	}
	if prev == nil {
		return snap, nil // the first snapshot: nothing to compare with
	}
	res, err := compareSnapshots(db, prev, snap, nil)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(changesJSON{Since: prev.ID, Summary: res.Summary, Noise: res.Noise, Unknown: res.Unknown})
	if err != nil {
		return nil, err
	}
	var flagged []string
	for _, a := range findAnomalies(prev, snap, res, ws.AnomalyThreshold) {
		if flagged == nil {
			if err := db.Protect(prev.ID, "last before a drop in "+snap.ShortID()+": "+a.What); err != nil {
				return nil, err
			}
		}
		flagged = append(flagged, a.What)
		log.Warn("anomaly: "+a.What, "snapshot", snap.ShortID(), "before", prev.ShortID(),
			"hint", restoreHint(ws.Name, prev.ShortID(), a.Selector))
	}
	return db.Annotate(snap.ID, raw, flagged)
}

// restoreHint is the command that brings back what an anomaly lost.
func restoreHint(workspace, snap, selector string) string {
	return fmt.Sprintf("see the plan with: enspace-sync restore --workspace %s --snapshot %s %s --dry-run (without --dry-run it brings it back)",
		workspace, snap, selector)
}

// runConfig is what a snapshot records of the config that produced it.
func runConfig(ws *config.Workspace) map[string]any {
	env := ws.Env()
	return map[string]any{
		"workspace": ws.Name, "slug": ws.Slug, "environment": ws.Environment,
		"base_url": env.BaseURL, "include": ws.Include, "exclude": ws.Exclude,
	}
}

func printBackup(m *Main, s *snapshot.Snapshot) {
	fmt.Fprintf(m.Stdout, "snapshot %s of %s: %s, %d objects in %s, %d requests, %s added\n",
		s.ShortID(), s.Workspace, s.Status, s.Objects, s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond),
		s.Requests, humanBytes(s.AddedBytes))
	fmt.Fprintf(m.Stdout, "  %s\n", formatCounts(s.Counts))
	for _, kind := range sortedKeys(s.Errors) {
		fmt.Fprintf(m.Stdout, "  not read: %s: %s\n", kind, s.Errors[kind])
	}
	for _, d := range s.Drift {
		fmt.Fprintf(m.Stdout, "  drift: %s\n", d)
	}
	if line := changesLine(s); line != "" {
		fmt.Fprintf(m.Stdout, "  %s\n", line)
	}
	for _, a := range s.Anomalies {
		fmt.Fprintf(m.Stdout, "  ANOMALY: %s\n", a)
	}
}

// changesLine sums up a snapshot's recorded changes on one line.
func changesLine(s *snapshot.Snapshot) string {
	if len(s.Changes) == 0 {
		return ""
	}
	var c changesJSON
	if json.Unmarshal(s.Changes, &c) != nil {
		return ""
	}
	var parts []string
	for _, k := range api.Kinds() {
		n, ok := c.Summary[k.Name]
		if !ok {
			continue
		}
		var ops []string
		for _, op := range []struct {
			n    int
			name string
		}{{n.Added, "added"}, {n.Removed, "removed"}, {n.Changed, "changed"}, {n.Unknown, "unknown"}} {
			if op.n > 0 {
				ops = append(ops, fmt.Sprintf("%d %s", op.n, op.name))
			}
		}
		parts = append(parts, k.Name+" "+strings.Join(ops, ", "))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no changes since %s", shortID(c.Since))
	}
	return fmt.Sprintf("changes since %s: %s", shortID(c.Since), strings.Join(parts, "; "))
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// formatCounts prints counts in the order of the kind table.
func formatCounts(counts map[string]int) string {
	var parts []string
	for _, k := range api.Kinds() {
		if n, ok := counts[k.Name]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", k.Name, n))
		}
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
