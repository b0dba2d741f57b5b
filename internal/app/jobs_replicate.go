package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// RunReplication is the daemon's replication job: the plan of
// PlanReplication, applied unless it would update or delete more than the
// replication's max_change of the target. Every run is logged in the
// database with its plan summary.
func (s *Service) RunReplication(ctx context.Context, name string) JobResult {
	cfg := s.Config()
	res := JobResult{RunInfo: RunInfo{StartedAt: time.Now().UTC()}, Workspace: name}
	finish := func(status Status, summary string, err error) JobResult {
		res.FinishedAt, res.Status, res.Summary = time.Now().UTC(), status, summary
		if err != nil {
			res.Error = err.Error()
		}
		run := snapshot.JobRun{StartedAt: res.StartedAt, FinishedAt: res.FinishedAt, Status: status, Summary: summary, Error: res.Error}
		if lerr := s.db.LogJobRun(name, run); lerr != nil {
			s.log.Error("record the replication run", "replication", name, "err", lerr)
		}
		log := s.log.Info
		if status != StatusComplete {
			log = s.log.Warn
		}
		log("replication finished", "replication", name, "status", status, "summary", summary, "error", res.Error)
		return res
	}
	r, err := cfg.Replication(name)
	if err != nil {
		return finish(StatusFailed, "not planned", err)
	}
	res.Hint = fmt.Sprintf("see the plan with: enspace-sync replicate --from %s --to %s --dry-run", r.From, r.To)
	p, err := s.PlanReplication(ctx, ReplicationRequest{From: r.From, To: r.To, Only: r.Only, IncludeData: r.IncludeData, Prune: r.Prune})
	switch {
	case err != nil && ctx.Err() != nil:
		return finish(StatusAborted, "stopped while planning: nothing was applied", nil)
	case err != nil:
		// A key or secret file of either environment that cannot be read:
		// nothing was tried (trigger --wait exits 2, as replicate does).
		res.ConfigError = IsSecret(err)
		return finish(StatusFailed, "not planned", err)
	}
	summary := PlanSummary(p.Plan)
	if share, over := heldShare(p, r); over {
		return finish(StatusHeld, summary, fmt.Errorf(
			"the plan would update or delete %.1f%% of %s's objects, more than max_change (%.1f%%): nothing was applied",
			share*100, r.To, r.MaxChange*100))
	}
	if p.Plan.Empty() {
		return finish(StatusComplete, summary, nil)
	}
	sum, err := s.Apply(ctx, p, nil)
	applied := fmt.Sprintf("%s; applied: %d done, %d failed", summary, sum[restore.StatusDone], sum[restore.StatusFailed])
	switch {
	case err != nil && ctx.Err() != nil:
		return finish(StatusAborted, applied+"; stopped: the next run resumes", nil)
	case errors.Is(err, restore.ErrApplyFailed):
		return finish(StatusFailed, applied, firstFailure(p.Plan))
	case err != nil:
		return finish(StatusFailed, applied, err)
	}
	return finish(StatusComplete, applied, nil)
}

// PlanSummary is a plan in one line.
func PlanSummary(p *restore.Plan) string {
	c := p.Counts()
	return fmt.Sprintf("plan %s to %s: %d to create, %d to update, %d to delete, %d manual, %d already equal",
		p.Source, p.Target, c[restore.Create], c[restore.Update], c[restore.Delete], c[restore.Manual], c[restore.Skip])
}

// heldShare is the share of the target's objects the plan updates or
// deletes, and whether it is over the replication's limit.
func heldShare(p *Planned, r *config.Replication) (float64, bool) {
	c := p.Plan.Counts()
	changed := c[restore.Update] + c[restore.Delete]
	if changed == 0 {
		return 0, false
	}
	share := float64(changed) / float64(max(p.Compared, 1))
	return share, share > r.MaxChange
}

// firstFailure is the first failed step's error, for the run's record.
func firstFailure(p *restore.Plan) error {
	for _, s := range p.Steps {
		if s.Result != nil && s.Result.Status == restore.StatusFailed {
			return fmt.Errorf("%s %s %s: %s", s.Action, s.Kind, s.Key, s.Result.Error)
		}
	}
	return restore.ErrApplyFailed
}

// replicationHistory is the history of a replication, from its run log.
func (s *Service) replicationHistory(name string) (JobHistory, error) {
	var h JobHistory
	runs, err := s.db.JobRuns(name)
	if err != nil {
		return h, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		info := &RunInfo{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Error: r.Error}
		if h.LastRun == nil {
			h.LastRun = info
		}
		if h.LastBackup == nil && r.Status != StatusAborted {
			h.LastBackup = info
		}
		if r.Status == StatusComplete && r.FinishedAt.After(h.LastOK) {
			h.LastOK = r.FinishedAt
		}
	}
	return h, nil
}
