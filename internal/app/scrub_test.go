package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestRunScrub: a scrub over a database with one damaged pack (the 20
// objects of the run, stored together) reports it as failed, with the
// count of objects and the snapshot, records it (the scrub's
// history, the damaged set), and the webhook hears of it as a scrub; a
// clean scrub is complete. A disabled scrub is not a job.
func TestRunScrub(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := snapshot.Open(path, snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Begin("acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), fmt.Appendf(nil, `{"id":%d,"name":"contract %d"}`, i+1, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := w.Commit(snapshot.CommitInfo{FinishedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	flipFirstBlob(t, path)
	if db, err = snapshot.Open(path, snapshot.Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var mu sync.Mutex
	var hooks []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := config.Default()
	cfg.Notify.WebhookURL = api.Secret(hook.URL)
	cfg.Scrub.Bandwidth = 0
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if jobs := svc.Jobs(); len(jobs) != 1 || jobs[0] != (JobSpec{Name: "scrub", Schedule: "@weekly", Scrub: true}) {
		t.Errorf("jobs %+v, want the scrub alone", jobs)
	}

	res := svc.RunScrub(context.Background())
	if res.Status != StatusFailed || res.Scrub == nil || res.Scrub.Damaged != 20 || res.Scrub.Structural != 0 ||
		len(res.Scrub.Snapshots) != 1 || res.Scrub.Snapshots[0] != snap.ShortID() || res.Scrub.BytesRead == 0 ||
		!strings.Contains(res.Error, "20 damaged objects") || !strings.Contains(res.Hint, "verify --read-data") {
		t.Errorf("scrub of a damaged object: %+v %+v", res, res.Scrub)
	}
	h, err := svc.JobHistory("scrub")
	if err != nil || h.LastRun == nil || h.LastRun.Status != StatusFailed || h.LastOK.IsZero() {
		t.Errorf("scrub history %+v, %v", h, err)
	}
	if got, _ := db.DamagedBlobs(); len(got) != 20 {
		t.Errorf("damaged set %v", got)
	}
	svc.Notify(context.Background(), res)
	mu.Lock()
	got := strings.Join(hooks, "\n")
	mu.Unlock()
	if !strings.Contains(got, `"kind":"scrub"`) || !strings.Contains(got, `"status":"failed"`) || !strings.Contains(got, "20 damaged objects") {
		t.Errorf("webhook got %s", got)
	}

	// The next backup heals them; the next scrub is clean.
	w, err = db.Begin("acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), fmt.Appendf(nil, `{"id":%d,"name":"contract %d"}`, i+1, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := w.Commit(snapshot.CommitInfo{FinishedAt: time.Now()}); err != nil || len(s.Healed) != 20 {
		t.Fatalf("healing run: %+v, %v", s, err)
	}
	if res := svc.RunScrub(context.Background()); res.Status != StatusComplete || res.Scrub.Damaged != 0 || res.Error != "" {
		t.Errorf("scrub after healing: %+v %+v", res, res.Scrub)
	}
	var js bytes.Buffer
	if err := json.NewEncoder(&js).Encode(NewSnapshotJSON(snap)); err != nil || !strings.Contains(js.String(), `"healed":[]`) {
		t.Errorf("snapshot json %s, %v", js.String(), err)
	}

	cfg2 := config.Default()
	cfg2.Scrub.Enabled = false
	if err := svc.SetConfig(cfg2); err != nil {
		t.Fatal(err)
	}
	if jobs := svc.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs with the scrub disabled: %+v", jobs)
	}
}

// flipFirstBlob flips a bit of the compressed bytes of the first pack of
// the database at path: every object in it is damaged.
func flipFirstBlob(t *testing.T, path string) {
	t.Helper()
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("packs"))
		k, v := b.Cursor().First()
		rec := bytes.Clone(v)
		rec[len(rec)-2] ^= 0x10
		return b.Put(bytes.Clone(k), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
}
