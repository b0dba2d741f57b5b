package app

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestWalkAhead: the objects of every collection arrive in order, across
// several batches; an error from fn stops the reader and is returned, and
// no goroutine is left behind.
func TestWalkAhead(t *testing.T) {
	db, err := snapshot.Open(filepath.Join(t.TempDir(), "db"), snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * readAheadBatch
	for i := range n {
		if err := w.Put("items", "clients", fmt.Sprintf("%05d", i), []byte(fmt.Sprintf(`{"id":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Put("types", "", "clients", []byte(`{"id":1,"slug":"clients"}`)); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(snapshot.CommitInfo{FinishedAt: t0.Add(time.Second), Walked: []string{"types", "items"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = walkAhead(db, snap, []string{"types", "items/clients"}, func(coll, key string, raw []byte) error {
		got = append(got, coll+" "+key+" "+string(raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 || got[0] != `types clients {"id":1,"slug":"clients"}` || got[n] != fmt.Sprintf(`items/clients %05d {"id":%d}`, n-1, n-1) {
		t.Fatalf("got %d objects, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	before := runtime.NumGoroutine()
	stop := errors.New("disk full")
	calls := 0
	err = walkAhead(db, snap, []string{"items/clients"}, func(string, string, []byte) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Errorf("walkAhead = %v after %d calls, want disk full after 10", err, calls)
	}
	// The reader has returned by now, but the runtime may count it for a
	// moment longer: give it a second to go, as a leak never would.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(5 * time.Millisecond)
	}
	if after > before {
		t.Errorf("%d goroutines after a stopped walk, %d before", after, before)
	}
}
