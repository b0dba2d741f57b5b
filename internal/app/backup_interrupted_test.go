package app

import (
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestInterruptedBackupSummary: the summary of an interrupted backup of
// several workspaces names what this run stored, and says which of those
// snapshots are partial; one workspace alone says nothing was stored.
func TestInterruptedBackupSummary(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	complete := &snapshot.Snapshot{ID: "1a2b3c4d5e6f", Workspace: "acme", Status: snapshot.StatusComplete, StartedAt: at}
	partial := &snapshot.Snapshot{ID: "9f8e7d6c5b4a", Workspace: "beta", Status: snapshot.StatusPartial, StartedAt: at}
	b := &InterruptedBackup{Workspace: "gamma", Stored: []*snapshot.Snapshot{complete, partial}, NotStarted: []string{"delta"}}
	want := "nothing of gamma was stored; stored in this run: acme (snapshot " + complete.ShortID() +
		"), beta (snapshot " + partial.ShortID() + ", partial); not started: delta"
	if got := b.Summary(); got != want {
		t.Errorf("Summary() = %q\nwant        %q", got, want)
	}
	if got := (&InterruptedBackup{Workspace: "acme"}).Summary(); got != "nothing was stored" {
		t.Errorf("one workspace: Summary() = %q, want nothing was stored", got)
	}
}
