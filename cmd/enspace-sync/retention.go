package main

import (
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// retentionDecisions applies policy to the snapshots of ws: what forget
// prints, and the ids it removes.
func retentionDecisions(db *snapshot.DB, ws *config.Workspace, policy snapshot.Policy, now time.Time, loc *time.Location) ([]snapshot.Decision, []string, error) {
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, nil, err
	}
	decisions := snapshot.ApplyPolicy(snaps, policy, now, loc)
	var remove []string
	for _, d := range decisions {
		if !d.Keep {
			remove = append(remove, d.Snapshot.ID)
		}
	}
	return decisions, remove, nil
}

// configPolicy is a workspace's retention from the config.
func configPolicy(r config.Retention) snapshot.Policy {
	return snapshot.Policy{KeepLast: r.KeepLast, KeepDaily: r.KeepDaily, KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly}
}

// applyRetention forgets the snapshots of ws that its configured retention
// does not keep and, when it forgot any, prunes the objects no snapshot
// uses any more: what the daemon does after each backup ("forget --prune").
func applyRetention(db *snapshot.DB, ws *config.Workspace, now time.Time, loc *time.Location) (removed int, st snapshot.PruneStats, err error) {
	_, remove, err := retentionDecisions(db, ws, configPolicy(ws.Retention), now, loc)
	if err != nil || len(remove) == 0 {
		return 0, st, err
	}
	if err := db.Forget(remove...); err != nil {
		return 0, st, err
	}
	st, err = db.Prune()
	return len(remove), st, err
}
