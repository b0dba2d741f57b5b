package app

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestOverviewJobs checks the overview's rows: the config's workspaces
// and replications in its order with their next runs, then a workspace
// only the database still knows, with its snapshots and last run.
func TestOverviewJobs(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "db"), snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w, err := db.Begin("old", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("types", "", "clients", []byte(`{"id":1,"slug":"clients"}`)); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(snapshot.CommitInfo{FinishedAt: t0.Add(time.Second), Walked: []string{"types"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(strings.NewReader(`database: `+filepath.Join(dir, "db")+`
timezone: UTC
environments:
  production: {base_url: "http://127.0.0.1:1", api_key_file: key}
  stage: {base_url: "http://127.0.0.1:2", api_key_file: key}
workspaces:
  - {name: acme, environment: production, schedule: "0 3 * * *"}
  - {name: acme-stage, environment: stage}
replications:
  - {name: promote, from: acme-stage, to: acme, schedule: "@hourly"}
`), "c.yaml", config.Options{NoSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := svc.Overview(t0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		line := j.Name + " " + j.Schedule + " " + j.NextRun.Format(time.RFC3339)
		if j.Replication {
			line += " replication"
		}
		if j.LastRun != nil {
			line += " last " + string(j.LastRun.Status) + " " + j.LastRun.Snapshot
		}
		got = append(got, line)
	}
	want := []string{
		"acme 0 3 * * * 2026-03-02T03:00:00Z",
		"acme-stage @daily 2026-03-02T00:00:00Z",
		"promote @hourly 2026-03-01T11:00:00Z replication",
		"old  0001-01-01T00:00:00Z last complete " + snap.ID,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("overview\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if old := jobs[3]; old.Snapshots != 1 || len(old.Objects) != 1 || old.Objects[0].Value != 1 {
		t.Errorf("old: %d snapshots, objects %v", old.Snapshots, old.Objects)
	}
	st, err := svc.Storage()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 1 || st.References != 1 || st.DedupRatio() != 1 || st.FileBytes == 0 || len(st.Live) != 1 || st.Live[0].Value != snap.AddedBytes {
		t.Errorf("storage %+v", st)
	}
}
