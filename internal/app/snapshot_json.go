package app

import (
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// SnapshotJSON is a snapshot as the --json output of backup and snapshots
// prints it; the keys are part of the interface for scripts.
type SnapshotJSON struct {
	ID         string            `json:"id"`
	ShortID    string            `json:"short_id"`
	Workspace  string            `json:"workspace"`
	Status     string            `json:"status"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Seconds    float64           `json:"duration_seconds"`
	Counts     map[string]int    `json:"counts"`
	Objects    int               `json:"objects"`
	Requests   int64             `json:"requests"`
	AddedBytes int64             `json:"added_bytes"`
	Errors     map[string]string `json:"errors"`
	Drift      []string          `json:"drift"`
	// Changes since the previous complete snapshot: {"since", "summary",
	// "noise", "unknown"}; null for a workspace's first snapshot.
	Changes   *snapshot.Changes `json:"changes"`
	Anomalies []string          `json:"anomalies"`
	// Protected says why retention keeps this snapshot whatever its
	// rules ("" when nothing protects it).
	Protected string `json:"protected"`
	// Healed lists the objects whose damaged stored copy this run stored
	// afresh: {"collection", "key", "hash"}; [] when none.
	Healed []snapshot.Healed `json:"healed"`
}

// NewSnapshotJSON returns the --json form of a snapshot.
func NewSnapshotJSON(s *snapshot.Snapshot) SnapshotJSON {
	out := SnapshotJSON{
		ID: s.ID, ShortID: s.ShortID(), Workspace: s.Workspace, Status: string(s.Status),
		StartedAt: s.StartedAt.UTC(), FinishedAt: s.FinishedAt.UTC(),
		Seconds: Seconds(s.FinishedAt.Sub(s.StartedAt)),
		Counts:  s.Counts, Objects: s.Objects, Requests: s.Requests, AddedBytes: s.AddedBytes,
		Errors: s.Errors, Drift: s.Drift,
	}
	if out.Counts == nil {
		out.Counts = map[string]int{}
	}
	if out.Errors == nil {
		out.Errors = map[string]string{}
	}
	if out.Drift == nil {
		out.Drift = []string{}
	}
	out.Changes, out.Anomalies, out.Protected = s.Changes, s.Anomalies, s.Protected
	if out.Anomalies == nil {
		out.Anomalies = []string{}
	}
	out.Healed = s.Healed
	if out.Healed == nil {
		out.Healed = []snapshot.Healed{}
	}
	return out
}

// Seconds is a duration as JSON prints it: seconds, rounded to the
// millisecond (a run's nanoseconds are noise, and 0.30000000000000004
// helps nobody).
func Seconds(d time.Duration) float64 {
	return d.Round(time.Millisecond).Seconds()
}
