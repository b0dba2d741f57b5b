package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/notify"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// service wires the daemon to the program: backups, retention, history and
// notifications over one open database and the current config, which a
// reload replaces.
type service struct {
	m  *Main
	db *snapshot.DB

	mu       sync.Mutex
	cfg      *config.Config
	cl       *clients
	loc      *time.Location
	notifier *notify.Notifier // nil when neither URL is set
}

// setConfig makes cfg the current config. It fails, changing nothing,
// when the config's time zone does not load.
func (s *service) setConfig(cfg *config.Config) error {
	loc, err := cfg.Location()
	if err != nil {
		return configError(err)
	}
	var n *notify.Notifier
	if cfg.Notify.WebhookURL != "" || cfg.Notify.HeartbeatURL != "" {
		n = notify.New(notify.Options{
			WebhookURL:   strings.TrimSpace(cfg.Notify.WebhookURL.Reveal()),
			HeartbeatURL: strings.TrimSpace(cfg.Notify.HeartbeatURL.Reveal()),
			Timeout:      cfg.Notify.Timeout,
			Logger:       s.m.log,
			UserAgent:    "enspace-sync/" + versionInfo().Version,
		})
	}
	s.mu.Lock()
	s.cfg, s.cl, s.loc, s.notifier = cfg, newClients(cfg, s.m.log), loc, n
	s.mu.Unlock()
	return nil
}

func (s *service) current() (*config.Config, *clients, *time.Location, *notify.Notifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg, s.cl, s.loc, s.notifier
}

// settingsOf is the daemon's view of a config (the other two values of
// service.current are ignored).
func settingsOf(cfg *config.Config, _ *clients, loc *time.Location, _ *notify.Notifier) daemon.Settings {
	out := daemon.Settings{Location: loc}
	for _, ws := range cfg.Workspaces {
		out.Workspaces = append(out.Workspaces, daemon.Workspace{Name: ws.Name, Schedule: ws.Schedule})
	}
	for _, r := range cfg.Replications {
		out.Workspaces = append(out.Workspaces, daemon.Workspace{Name: r.Name, Schedule: r.Schedule, Replication: true})
	}
	return out
}

// backup is the daemon's Backup: backupWorkspace, as `enspace-sync backup`
// runs it, summed up for status, metrics and notifications.
func (s *service) backup(ctx context.Context, name string) daemon.Result {
	cfg, cl, _, _ := s.current()
	res := daemon.Result{RunInfo: daemon.RunInfo{StartedAt: time.Now().UTC()}, Workspace: name}
	fail := func(err error) daemon.Result {
		res.FinishedAt, res.Status, res.Error = time.Now().UTC(), daemon.StatusFailed, err.Error()
		res.Summary = "no snapshot was stored: " + err.Error()
		res.Hint = fmt.Sprintf("the earlier snapshots are untouched; list them with: enspace-sync snapshots --workspace %s", name)
		return res
	}
	ws, err := cfg.Workspace(name)
	if err != nil {
		return fail(err)
	}
	client, err := cl.For(ws)
	if err != nil {
		return fail(err)
	}
	before := client.Stats()
	snap, err := backupWorkspace(ctx, s.m, s.db, cl, ws)
	res.API = apiDelta(before, client.Stats())
	switch {
	case err != nil && ctx.Err() != nil:
		res.FinishedAt, res.Status, res.Error = time.Now().UTC(), daemon.StatusAborted, "stopped: the daemon is shutting down"
		res.Summary = "the run was aborted; nothing of it was stored"
		return res
	case err != nil:
		return fail(err)
	}
	res.FinishedAt, res.Status, res.Snapshot = snap.FinishedAt.UTC(), string(snap.Status), snap.ShortID()
	res.Counts, res.Anomalies = snap.Counts, snap.Anomalies
	res.Summary, res.Hint = summarize(snap)
	return res
}

// summarize writes a snapshot's one-line summary and the command to look
// into what went wrong, for notifications.
func summarize(snap *snapshot.Snapshot) (summary, hint string) {
	parts := []string{fmt.Sprintf("%d objects (%s)", snap.Objects, formatCounts(snap.Counts))}
	for _, kind := range sortedKeys(snap.Errors) {
		parts = append(parts, fmt.Sprintf("not read: %s: %s", kind, snap.Errors[kind]))
	}
	if line := changesLine(snap); line != "" {
		parts = append(parts, line)
	}
	summary = strings.Join(parts, "; ")
	var c changesJSON
	since := ""
	if len(snap.Changes) > 0 && json.Unmarshal(snap.Changes, &c) == nil {
		since = shortID(c.Since)
	}
	switch {
	case len(snap.Anomalies) > 0 && since != "":
		hint = fmt.Sprintf("see what was lost with: enspace-sync diff --workspace %s %s %s; snapshot %s (before the drop) is kept, restore from it",
			snap.Workspace, since, snap.ShortID(), since)
	case snap.Status == snapshot.StatusPartial:
		hint = fmt.Sprintf("the kinds not read are unknown in %s, not deleted; the previous complete snapshot still holds them: enspace-sync snapshots --workspace %s",
			snap.ShortID(), snap.Workspace)
	}
	return summary, hint
}

// apiDelta is what a client sent between two readings of its stats.
func apiDelta(before, after api.RequestStats) daemon.APIStats {
	out := daemon.APIStats{ByStatus: map[int]int{}, Retries: after.Retries - before.Retries}
	for code, n := range after.ByStatus {
		if d := n - before.ByStatus[code]; d > 0 {
			out.ByStatus[code] = d
		}
	}
	return out
}

// retain is the daemon's Retain: the workspace's configured retention,
// then a prune when it removed anything.
func (s *service) retain(ctx context.Context, name string) (daemon.Retention, error) {
	cfg, _, loc, _ := s.current()
	ws, err := cfg.Workspace(name)
	if err != nil {
		return daemon.Retention{}, err
	}
	removed, st, err := applyRetention(s.db, ws, time.Now(), loc)
	return daemon.Retention{Removed: removed, PrunedBytes: st.Bytes}, err
}

// history is the daemon's History, read from the runs log and snapshots.
func (s *service) history(name string) (daemon.History, error) {
	cfg, _, _, _ := s.current()
	if _, err := cfg.Replication(name); err == nil {
		return s.replicationHistory(name)
	}
	var h daemon.History
	runs, err := s.db.Runs(name)
	if err != nil {
		return h, err
	}
	for i := len(runs) - 1; i >= 0 && (h.LastRun == nil || h.LastBackup == nil); i-- {
		r := runs[i]
		if r.Outcome == snapshot.OutcomeRunning {
			continue
		}
		info := &daemon.RunInfo{StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), Status: outcomeStatus(r), Error: r.Error}
		if r.Outcome == snapshot.OutcomeComplete || r.Outcome == snapshot.OutcomePartial {
			info.Snapshot = shortID(r.ID)
		}
		if h.LastRun == nil {
			h.LastRun = info
		}
		if h.LastBackup == nil && info.Status != daemon.StatusAborted {
			h.LastBackup = info
		}
	}
	snaps, err := s.db.Snapshots(name)
	if err != nil {
		return h, err
	}
	h.Snapshots = len(snaps)
	for _, sn := range snaps {
		if sn.Status == snapshot.StatusComplete && sn.FinishedAt.After(h.LastOK) {
			h.LastOK = sn.FinishedAt
		}
	}
	if len(snaps) > 0 {
		h.Counts = snaps[len(snaps)-1].Counts
	}
	return h, nil
}

// outcomeStatus maps a run's outcome to the daemon's statuses. A backup that
// fails is recorded as aborted by the store (its writer is aborted); only
// runs stopped by a signal or a crash count as aborted here.
func outcomeStatus(r snapshot.Run) string {
	switch r.Outcome {
	case snapshot.OutcomeComplete:
		return daemon.StatusComplete
	case snapshot.OutcomePartial:
		return daemon.StatusPartial
	case snapshot.OutcomeAborted:
		if strings.Contains(r.Error, context.Canceled.Error()) || strings.HasPrefix(r.Error, "interrupted") {
			return daemon.StatusAborted
		}
	}
	return daemon.StatusFailed
}

// notify is the daemon's Notify: the webhook and heartbeat of the config.
func (s *service) notify(ctx context.Context, r daemon.Result) {
	cfg, _, _, n := s.current()
	if n == nil {
		return
	}
	kind := "backup"
	if _, err := cfg.Replication(r.Workspace); err == nil {
		kind = "replication"
	}
	err := n.Send(ctx, notify.Event{Kind: kind, Workspace: r.Workspace, Status: r.Status, Snapshot: r.Snapshot, Time: r.FinishedAt,
		Summary: r.Summary, Hint: r.Hint, Error: r.Error, Anomalies: r.Anomalies})
	if err != nil && !errors.Is(err, context.Canceled) {
		s.m.log.Debug("notification dropped", "workspace", r.Workspace)
	}
}
