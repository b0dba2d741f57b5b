package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// replicate is the daemon's Replicate: the plan of `enspace-sync
// replicate`, applied unless it would update or delete more than the
// replication's max_change of the target. Every run is logged in the
// database with its plan summary.
func (s *service) replicate(ctx context.Context, name string) daemon.Result {
	cfg, cl, _, _ := s.current()
	res := daemon.Result{RunInfo: daemon.RunInfo{StartedAt: time.Now().UTC()}, Workspace: name}
	finish := func(status, summary string, err error) daemon.Result {
		res.FinishedAt, res.Status, res.Summary = time.Now().UTC(), status, summary
		if err != nil {
			res.Error = err.Error()
		}
		run := snapshot.JobRun{StartedAt: res.StartedAt, FinishedAt: res.FinishedAt, Status: status, Summary: summary, Error: res.Error}
		if lerr := s.db.LogJobRun(name, run); lerr != nil {
			s.m.log.Error("record the replication run", "replication", name, "err", lerr)
		}
		log := s.m.log.Info
		if status != daemon.StatusComplete {
			log = s.m.log.Warn
		}
		log("replication finished", "replication", name, "status", status, "summary", summary, "error", res.Error)
		return res
	}
	r, err := cfg.Replication(name)
	if err != nil {
		return finish(daemon.StatusFailed, "not planned", err)
	}
	res.Hint = fmt.Sprintf("see the plan with: enspace-sync replicate --from %s --to %s --dry-run", r.From, r.To)
	source, err := cfg.Workspace(r.From)
	if err != nil {
		return finish(daemon.StatusFailed, "not planned", err)
	}
	target, err := cfg.Workspace(r.To)
	if err != nil {
		return finish(daemon.StatusFailed, "not planned", err)
	}
	kinds, err := replicateKinds(strings.Join(r.Only, ","), r.IncludeData)
	if err != nil {
		return finish(daemon.StatusFailed, "not planned", err)
	}
	rp, err := planReplication(ctx, s.m, cfg, s.db, cl, replicationSpec{source: source, target: target, kinds: kinds, prune: r.Prune})
	switch {
	case err != nil && ctx.Err() != nil:
		return finish(daemon.StatusAborted, "stopped while planning: nothing was applied", nil)
	case err != nil:
		return finish(daemon.StatusFailed, "not planned", err)
	}
	summary := planSummary(rp.plan)
	if share, over := heldShare(rp, r); over {
		return finish(daemon.StatusHeld, summary, fmt.Errorf(
			"the plan would update or delete %.1f%% of %s's objects, more than max_change (%.1f%%): nothing was applied",
			share*100, r.To, r.MaxChange*100))
	}
	if rp.plan.Empty() {
		return finish(daemon.StatusComplete, summary, nil)
	}
	env := cfg.Environments[target.Environment]
	eng := &restore.Engine{Client: rp.client, Workspace: target.Slug, IDs: rp.ids,
		Secrets: envSecrets{name: target.Environment, env: env}, Concurrency: env.Concurrency,
		Log: s.m.log.With("replication", name)}
	sum, err := eng.Apply(ctx, rp.plan)
	applied := fmt.Sprintf("%s; applied: %d done, %d failed", summary, sum[restore.StatusDone], sum[restore.StatusFailed])
	switch {
	case err != nil && ctx.Err() != nil:
		return finish(daemon.StatusAborted, applied+"; stopped: the next run resumes", nil)
	case errors.Is(err, restore.ErrApplyFailed):
		return finish(daemon.StatusFailed, applied, firstFailure(rp.plan))
	case err != nil:
		return finish(daemon.StatusFailed, applied, err)
	}
	return finish(daemon.StatusComplete, applied, nil)
}

// planSummary is a plan in one line.
func planSummary(p *restore.Plan) string {
	c := p.Counts()
	return fmt.Sprintf("plan %s to %s: %d to create, %d to update, %d to delete, %d manual, %d already equal",
		p.Source, p.Target, c[restore.Create], c[restore.Update], c[restore.Delete], c[restore.Manual], c[restore.Skip])
}

// heldShare is the share of the target's objects the plan updates or
// deletes, and whether it is over the replication's limit.
func heldShare(rp *replicationPlan, r *config.Replication) (float64, bool) {
	c := rp.plan.Counts()
	changed := c[restore.Update] + c[restore.Delete]
	if changed == 0 {
		return 0, false
	}
	share := float64(changed) / float64(max(rp.targets, 1))
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

// replicationHistory is the daemon's History of a replication, from its
// run log.
func (s *service) replicationHistory(name string) (daemon.History, error) {
	var h daemon.History
	runs, err := s.db.JobRuns(name)
	if err != nil {
		return h, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		info := &daemon.RunInfo{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Error: r.Error}
		if h.LastRun == nil {
			h.LastRun = info
		}
		if h.LastBackup == nil && r.Status != daemon.StatusAborted {
			h.LastBackup = info
		}
		if r.Status == daemon.StatusComplete && r.FinishedAt.After(h.LastOK) {
			h.LastOK = r.FinishedAt
		}
	}
	return h, nil
}
