package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/notify"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// RunBackup is the daemon's backup job: Backup, summed up for status,
// metrics and notifications. A run stopped by ctx is aborted.
func (s *Service) RunBackup(ctx context.Context, name string) JobResult {
	res := JobResult{RunInfo: RunInfo{StartedAt: time.Now().UTC()}, Workspace: name}
	fail := func(err error) JobResult {
		res.FinishedAt, res.Status, res.Error = time.Now().UTC(), StatusFailed, err.Error()
		res.ConfigError = IsSecret(err)
		res.Summary = "no snapshot was stored: " + err.Error()
		res.Hint = fmt.Sprintf("the earlier snapshots are untouched; list them with: enspace-sync snapshots --workspace %s", name)
		return res
	}
	ws, err := s.Config().Workspace(name)
	if err != nil {
		return fail(err)
	}
	client, err := s.Client(ws)
	if err != nil {
		if db, derr := s.needDB(); derr == nil {
			s.recordFailedStart(db, name, res.StartedAt, err)
		}
		return fail(err)
	}
	before := client.Stats()
	out, err := s.Backup(ctx, BackupRequest{Workspace: name})
	res.API = apiDelta(before, client.Stats())
	switch {
	case err != nil && ctx.Err() != nil:
		res.FinishedAt, res.Status, res.Error = time.Now().UTC(), StatusAborted, "stopped: the daemon is shutting down"
		res.Summary = "the run was aborted; nothing of it was stored"
		return res
	case err != nil:
		return fail(err)
	}
	snap := out.Snapshot
	res.FinishedAt, res.Status, res.Snapshot = snap.FinishedAt.UTC(), Status(snap.Status), snap.ShortID()
	res.Counts, res.Anomalies = snap.Counts, snap.Anomalies
	res.Summary, res.Hint = Summarize(snap)
	return res
}

// apiDelta is what a client sent between two readings of its stats.
func apiDelta(before, after api.RequestStats) APIStats {
	out := APIStats{ByStatus: map[int]int{}, Retries: after.Retries - before.Retries,
		Pauses: after.Pauses - before.Pauses, PausedFor: after.PausedFor - before.PausedFor}
	for code, n := range after.ByStatus {
		if d := n - before.ByStatus[code]; d > 0 {
			out.ByStatus[code] = d
		}
	}
	return out
}

// RetainJob is the daemon's retention after a backup: the workspace's
// configured retention, then a prune when it removed anything.
func (s *Service) RetainJob(ctx context.Context, name string) (Retention, error) {
	res, err := s.Retain(RetainRequest{Workspaces: []string{name}})
	if err != nil || res.Removed == 0 {
		return Retention{}, err
	}
	st, err := s.db.Prune()
	return Retention{Removed: res.Removed, PrunedBytes: st.Bytes}, err
}

// JobHistory reads what the database knows of a job: a workspace's runs
// and snapshots, or a replication's run log.
func (s *Service) JobHistory(name string) (JobHistory, error) {
	if name == ScrubJob {
		return s.scrubHistory()
	}
	if _, ok := IsOffsiteJob(name); ok {
		return JobHistory{}, nil
	}
	if _, err := s.Config().Replication(name); err == nil {
		return s.replicationHistory(name)
	}
	var h JobHistory
	runs, err := s.db.Runs(name)
	if err != nil {
		return h, err
	}
	for i := len(runs) - 1; i >= 0 && (h.LastRun == nil || h.LastBackup == nil); i-- {
		r := runs[i]
		if r.Outcome == snapshot.OutcomeRunning {
			continue
		}
		info := &RunInfo{StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), Status: RunStatus(r), Error: r.Error}
		if r.Outcome == snapshot.OutcomeComplete || r.Outcome == snapshot.OutcomePartial {
			info.Snapshot = ShortID(r.ID)
		}
		if h.LastRun == nil {
			h.LastRun = info
		}
		if h.LastBackup == nil && info.Status != StatusAborted {
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

// Notify sends a finished run to the config's webhook and heartbeat; a
// failure is logged, never returned.
func (s *Service) Notify(ctx context.Context, r JobResult) {
	s.mu.Lock()
	cfg, n := s.cfg, s.notifier
	s.mu.Unlock()
	if n == nil {
		return
	}
	kind := "backup"
	if _, err := cfg.Replication(r.Workspace); err == nil {
		kind = "replication"
	}
	if r.Scrub != nil {
		kind = ScrubJob
	}
	if _, ok := IsOffsiteJob(r.Workspace); ok {
		kind = "offsite"
	}
	err := n.Send(ctx, notify.Event{Kind: kind, Workspace: r.Workspace, Status: string(r.Status), Snapshot: r.Snapshot, Time: r.FinishedAt,
		Summary: r.Summary, Hint: r.Hint, Error: r.Error, Anomalies: r.Anomalies})
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("notification dropped", "workspace", r.Workspace)
	}
}

// CheckDatabase checks the database's structure (every snapshot's
// records, trees and references, without re-reading object contents) and
// fails on damage: the daemon does not write new snapshots over it.
func (s *Service) CheckDatabase() error {
	db, err := s.needDB()
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := db.Verify(false, nil)
	if err != nil {
		return fmt.Errorf("check the database before writing to it: %w", err)
	}
	if !db.ReadOnly() {
		if _, err := db.RecordCheck(rep); err != nil {
			return fmt.Errorf("check the database before writing to it: %w", err)
		}
	}
	if rep.Structural > 0 {
		for _, p := range rep.Problems {
			s.log.Error("database damage", "problem", p.String())
		}
		return fmt.Errorf("the database %s is damaged (%d problems, the first: %s); the daemon does not write to it. "+
			"See them all with: %s; keep a copy (enspace-sync db backup) and forget the damaged snapshots, or start from a new database",
			db.Path(), rep.Structural, rep.Problems[0].String(), RepairCommand)
	}
	s.log.Info("database checked", "snapshots", rep.Snapshots, "objects", rep.Objects, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
