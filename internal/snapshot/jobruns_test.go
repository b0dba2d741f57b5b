package snapshot

import (
	"path/filepath"
	"testing"
	"time"
)

func TestJobRunsKeepTheLastHundred(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 105 {
		if err := db.LogJobRun("stage-to-prod", JobRun{StartedAt: at.Add(time.Duration(i) * time.Hour), Status: "complete"}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.JobRuns("stage-to-prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 100 {
		t.Fatalf("%d runs kept, want 100", len(runs))
	}
	if got := runs[0].StartedAt; !got.Equal(at.Add(5 * time.Hour)) {
		t.Errorf("oldest kept run started %s, want the 6th", got)
	}
	if none, _ := db.JobRuns("other"); len(none) != 0 {
		t.Errorf("another job has %d runs", len(none))
	}
}
