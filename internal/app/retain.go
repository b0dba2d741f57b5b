package app

import (
	"encoding/json"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// RetainRequest is a retention run over some workspaces.
type RetainRequest struct {
	Workspaces []string // none: every workspace of the config
	// Policy returns the policy of a workspace; nil means the config's.
	Policy func(ws *config.Workspace) snapshot.Policy
	DryRun bool // decide, remove nothing
	Prune  bool // after removing, delete stored objects no snapshot uses
	Now    time.Time
}

// WorkspaceDecision is retention's decision on one snapshot.
type WorkspaceDecision struct {
	Workspace string
	snapshot.Decision
}

// MarshalJSON writes a decision as forget --json prints it: {"id",
// "workspace", "time", "status", "keep", "reasons"}.
func (d WorkspaceDecision) MarshalJSON() ([]byte, error) {
	reasons := d.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return json.Marshal(struct {
		ID        string    `json:"id"`
		Workspace string    `json:"workspace"`
		Time      time.Time `json:"time"`
		Status    string    `json:"status"`
		Keep      bool      `json:"keep"`
		Reasons   []string  `json:"reasons"`
	}{d.Snapshot.ID, d.Workspace, d.Snapshot.StartedAt.UTC(), string(d.Snapshot.Status), d.Keep, reasons})
}

// RetainResult is what a retention run decided and did.
type RetainResult struct {
	Decisions []WorkspaceDecision
	Removed   int                  // snapshots removed (or, in a dry run, to remove)
	Pruned    *snapshot.PruneStats // nil when no prune ran
}

// ConfigPolicy is a workspace's retention from the config.
func ConfigPolicy(r config.Retention) snapshot.Policy {
	return snapshot.Policy{KeepLast: r.KeepLast, KeepDaily: r.KeepDaily, KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly}
}

// Retain applies retention to the workspaces' snapshots: it never removes
// the last complete snapshot, counts no partial one, and keeps protected
// ones (see snapshot.ApplyPolicy). Unless a dry run, it forgets what no
// rule keeps and, with Prune, deletes the objects no snapshot uses.
func (s *Service) Retain(req RetainRequest) (*RetainResult, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	workspaces, err := s.Workspaces(req.Workspaces)
	if err != nil {
		return nil, err
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	out := &RetainResult{}
	var remove []string
	for _, ws := range workspaces {
		policy := ConfigPolicy(ws.Retention)
		if req.Policy != nil {
			policy = req.Policy(ws)
		}
		snaps, err := db.Snapshots(ws.Name)
		if err != nil {
			return nil, err
		}
		for _, d := range snapshot.ApplyPolicy(snaps, policy, req.Now, s.Location()) {
			out.Decisions = append(out.Decisions, WorkspaceDecision{Workspace: ws.Name, Decision: d})
			if !d.Keep {
				remove = append(remove, d.Snapshot.ID)
			}
		}
	}
	out.Removed = len(remove)
	if req.DryRun {
		return out, nil
	}
	if len(remove) > 0 {
		if err := db.Forget(remove...); err != nil {
			return nil, err
		}
	}
	if req.Prune {
		st, err := db.Prune()
		if err != nil {
			return nil, err
		}
		out.Pruned = &st
	}
	return out, nil
}
