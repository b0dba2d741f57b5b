package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

func TestDedupAcrossKeyOrder(t *testing.T) {
	db := openTest(t)
	raw1 := []byte(`{"id": 1, "name": "Ana",  "tags": ["a", "b"]}`)
	raw2 := []byte("{\"tags\":[\"a\",\"b\"],\n \"name\":\"Ana\",\"id\":1}")
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("members", "", "1", raw1); err != nil {
		t.Fatal(err)
	}
	if err := w.Put("members", "", "2", raw2); err != nil {
		t.Fatal(err)
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if got := countBlobs(t, db); got != 1 {
		t.Errorf("blobs = %d, want 1", got)
	}
	_, hashes := walkAll(t, db, s, "members")
	if len(hashes) != 2 || hashes[0] != hashes[1] {
		t.Errorf("hashes = %v, want two equal", hashes)
	}
	got, ok, err := db.Lookup(s, "members", "1")
	if err != nil || !ok {
		t.Fatalf("Lookup = %v, %v", ok, err)
	}
	if string(got) != string(raw1) {
		t.Errorf("Lookup = %q, want the first raw bytes %q", got, raw1)
	}
}

func TestRoundTripAndOrder(t *testing.T) {
	db := openTest(t)
	objs := map[string]string{
		"10":  `{"id":10}`,
		"2":   `{"id":2,"s":"unicode é ☃ \u0000 \u001f and \"quotes\""}`,
		"1":   `{ "id" : 1 , "html": "<b>&</b>" }`,
		"007": `{"id":"007"}`,
		"abc": `{"slug":"abc","big":"` + strings.Repeat("é", 50_000) + `"}`,
		"":    `{"stats":true}`,
		"Zed": `[1, 2.50, -0]`,
	}
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range objs {
		if err := w.Put("types", "", k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := walkAll(t, db, s, "types")
	want := []string{"1", "2", "10", "", "007", "Zed", "abc"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("walk order (-want +got):\n%s", diff)
	}
	for k, v := range objs {
		got, ok, err := db.Lookup(s, "types", k)
		if err != nil || !ok || string(got) != v {
			t.Errorf("Lookup(%q) = %.40q, %v, %v; want %.40q", k, got, ok, err, v)
		}
	}
	for _, k := range []string{"3", "0", "zz", "01"} {
		if _, ok, err := db.Lookup(s, "types", k); ok || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want absent", k, ok, err)
		}
	}
	if _, ok, err := db.Lookup(s, "nothing", "1"); ok || err != nil {
		t.Errorf("Lookup in absent collection = %v, %v", ok, err)
	}
}

func TestSnapshotRecord(t *testing.T) {
	db := openTest(t)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ kind, parent, key string }{
		{"types", "", "contracts"}, {"types", "", "people"},
		{"items", "contracts", "1"}, {"items", "contracts", "2"}, {"items", "people", "3"},
		{"items", "contracts", "1"}, // again: the later wins
	} {
		if err := w.Put(p.kind, p.parent, p.key, []byte(fmt.Sprintf(`{"id":"%s/%s"}`, p.parent, p.key))); err != nil {
			t.Fatal(err)
		}
	}
	w.Fail("members", errors.New("list members: 503 Service Unavailable"))
	cfg := map[string]any{"concurrency": float64(4)}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(90 * time.Second), Requests: 12, Config: cfg,
		Drift: []string{"items/contracts: 1 added while paging"}, Counts: map[string]int{"types": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ID) != 16 || s.ShortID() != s.ID[:8] {
		t.Errorf("id = %q, short %q", s.ID, s.ShortID())
	}
	if s.Status != StatusPartial || s.Errors["members"] != "list members: 503 Service Unavailable" {
		t.Errorf("status %s errors %v, want partial with the members error", s.Status, s.Errors)
	}
	if diff := cmp.Diff(map[string]int{"types": 2, "items": 3}, s.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if s.Objects != 5 || s.Requests != 12 || s.AddedBytes <= 0 {
		t.Errorf("objects %d requests %d added %d", s.Objects, s.Requests, s.AddedBytes)
	}
	if got := db.Collections(s); !slices.Equal(got, []string{"items/contracts", "items/people", "types"}) {
		t.Errorf("collections = %v", got)
	}
	list, err := db.Snapshots("acme")
	if err != nil || len(list) != 1 {
		t.Fatalf("Snapshots = %v, %v", list, err)
	}
	if diff := cmp.Diff(s, list[0]); diff != "" {
		t.Errorf("stored record differs (-committed +stored):\n%s", diff)
	}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"started_at":"2026-03-14T09:26:53.589Z"`, `"finished_at":"2026-03-14T09:28:23.589Z"`, `"status":"partial"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("record %s lacks %s", b, want)
		}
	}
	runs, err := db.Runs("acme")
	if err != nil || len(runs) != 1 || runs[0].Outcome != OutcomePartial || runs[0].Objects != 5 {
		t.Errorf("runs = %+v, %v", runs, err)
	}
	if got, _ := db.Snapshots("other"); len(got) != 0 {
		t.Errorf("other workspace has %d snapshots", len(got))
	}
	if err := w.Put("types", "", "x", []byte(`{}`)); !errors.Is(err, ErrRunFinished) {
		t.Errorf("Put after Commit = %v, want ErrRunFinished", err)
	}
}

func TestPutRefusesBadInput(t *testing.T) {
	db := openTest(t)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort(nil)
	for _, c := range []struct{ kind, parent, key, raw string }{
		{"", "", "1", `{}`}, {"a/b", "", "1", `{}`}, {"items", "x\x00", "1", `{}`},
		{"items", "", string(make([]byte, 2000)), `{}`},
		{"items", "", "1", `<html>`}, {"items", "", "1", `{"a":1} trailing`},
	} {
		if err := w.Put(c.kind, c.parent, c.key, []byte(c.raw)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%q, %q, %.10q, %q) = %v, want ErrInvalid", c.kind, c.parent, c.key, c.raw, err)
		}
	}
}

func TestPutBatches(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 100})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	pendingN := func() int {
		n := 0
		_ = db.bolt.View(func(tx *bbolt.Tx) error {
			return forEachPending(tx, func(run []byte, _ uint64) error {
				if string(run) == w.ID() {
					n++
				}
				return nil
			})
		})
		return n
	}
	for id := 1; id <= 250; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
		switch id {
		case 99:
			if got := pendingN(); got != 0 {
				t.Errorf("after 99 puts %d pending entries, want 0 (buffered)", got)
			}
		case 100:
			// The full batch is written in the background: wait for it.
			w.mu.Lock()
			inflight := w.inflight
			w.mu.Unlock()
			<-inflight
			if got := pendingN(); got != 100 {
				t.Errorf("after 100 puts %d pending entries, want 100 (one batch)", got)
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 250 || countBlobs(t, db) != 250 {
		t.Errorf("objects %d blobs %d, want 250", s.Objects, countBlobs(t, db))
	}
}

func TestConcurrentPut(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 64})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				id := g*300 + i + 1
				if err := w.Put("items", fmt.Sprint("t", g%3), fmt.Sprint(id), item(id, g)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 2400 || s.Counts["items"] != 2400 || len(s.Collections) != 3 {
		t.Errorf("objects %d counts %v collections %d", s.Objects, s.Counts, len(s.Collections))
	}
	for _, name := range db.Collections(s) {
		keys, _ := walkAll(t, db, s, name)
		if !slices.IsSortedFunc(keys, func(a, b string) int { return compareKeys(sortKey(a), sortKey(b)) }) || len(keys) != s.Collections[name].Count {
			t.Errorf("%s: %d keys, sorted %v", name, len(keys), slices.IsSorted(keys))
		}
	}
}
