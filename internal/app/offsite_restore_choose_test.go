package app

import (
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// Two records of one snapshot (a refresh or repair killed before it
// deleted the old one): restore-db keeps the newest, wherever it is in
// the list.
func TestRestoreDBChoosesNewestOffsiteRecord(t *testing.T) {
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	old := &offsite.Snapshot{Name: "a", Workspace: "w", LocalID: "c01", StartedAt: t0, PushedAt: t0.Add(time.Hour)}
	newer := &offsite.Snapshot{Name: "a", Workspace: "w", LocalID: "c01", StartedAt: t0, PushedAt: t0.Add(2 * time.Hour)}
	next := &offsite.Snapshot{Name: "a", Workspace: "w", LocalID: "c02", StartedAt: t0.Add(24 * time.Hour), PushedAt: t0.Add(25 * time.Hour)}
	for _, all := range [][]*offsite.Snapshot{{old, newer, next}, {newer, old, next}} {
		got, err := chooseOffsite(all, RestoreDBRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != newer || got[1] != next {
			t.Errorf("chose %+v, want the newer record of c01, then c02", got)
		}
	}
}
