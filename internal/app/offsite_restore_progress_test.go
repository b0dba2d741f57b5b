package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// recordingProgress records what restore-db tells its Progress.
type recordingProgress struct {
	mu        sync.Mutex
	expects   []int64
	estimated bool
	updates   []int64
	kinds     map[string]bool
	steps     int
}

func (p *recordingProgress) Expect(total int64, _ map[string]int, estimated bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expects, p.estimated = append(p.expects, total), estimated
}

func (p *recordingProgress) Update(kind string, objects int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.updates = append(p.updates, objects)
	if p.kinds == nil {
		p.kinds = map[string]bool{}
	}
	p.kinds[kind] = true
}

func (p *recordingProgress) Step(string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steps++
}

// writeProgressDay commits day d of ws: 3,000 clients (a tenth changed
// each day after the first, 20 more each day, one removed), 40 notes that
// never change, and a tag from day 3. With changes, the snapshot records
// the changes since the one before, as a backup does.
func writeProgressDay(t *testing.T, db *snapshot.DB, ws string, d int, changes bool) {
	t.Helper()
	at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
	prev, err := db.Snapshots(ws)
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Begin(ws, at)
	if err != nil {
		t.Fatal(err)
	}
	put := func(kind, parent, key, raw string) {
		if err := w.Put(kind, parent, key, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3000+20*(d-1); i++ {
		if i < d {
			continue // removed on day i+1
		}
		rev := 0
		for k := 2; k <= d; k++ {
			if i%10 == k%10 {
				rev = k
			}
		}
		put("items", "clients", fmt.Sprint(i), fmt.Sprintf(`{"id":%d,"name":"client %d","rev":%d}`, i, i, rev))
	}
	for i := 1; i <= 40; i++ {
		put("notes", "", fmt.Sprint(i), fmt.Sprintf(`{"text":"note %d"}`, i))
	}
	if d >= 3 {
		put("tags", "", "x", `{"tag":"x"}`)
	}
	info := snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items", "notes", "tags"}}
	if changes && len(prev) > 0 {
		last := prev[len(prev)-1]
		info.Annotate = func(snap *snapshot.Snapshot) (*snapshot.Annotation, error) {
			res, err := compareSnapshots(db, last, snap, nil)
			if err != nil {
				return nil, err
			}
			return &snapshot.Annotation{Changes: changesOf(last, res)}, nil
		}
	}
	if _, err := w.Commit(info); err != nil {
		t.Fatal(err)
	}
}

// storedAnew counts the objects restore-db files for ws's history: every
// object of the first snapshot, then of each other those whose key is new
// or whose hash differs from the snapshot before.
func storedAnew(t *testing.T, db *snapshot.DB, ws string) int64 {
	t.Helper()
	snaps, err := db.Snapshots(ws)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for i, s := range snaps {
		for _, name := range db.Collections(s) {
			before := map[string]snapshot.Hash{}
			if i > 0 {
				if err := db.Walk(snaps[i-1], name, func(key string, h snapshot.Hash) error {
					before[key] = h
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Walk(s, name, func(key string, h snapshot.Hash) error {
				if old, ok := before[key]; !ok || old != h {
					n++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}

// TestRestoreDBProgress: restore-db tells its Progress, before it files
// anything, the objects it will file (two workspaces imported at once,
// each snapshot after the first recording its changes): exactly what it
// then files, objects that did not change being carried over. The
// counts it reports grow to that total and never past it, in batches
// rather than one call an object.
func TestRestoreDBProgress(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 5; d++ {
		writeProgressDay(t, db, "acme", d, true)
		writeProgressDay(t, db, "beta", d, true)
	}
	want := storedAnew(t, db, "acme") + storedAnew(t, db, "beta")
	rep, p := pushRestoreProgress(t, dir, db)
	if len(rep.Snapshots) != 10 {
		t.Fatalf("restored %d snapshots", len(rep.Snapshots))
	}
	if len(p.expects) != 1 || p.expects[0] != want || !p.estimated {
		t.Errorf("Expect(%v, estimated %v), want one Expect(%d, estimated)", p.expects, p.estimated, want)
	}
	if len(p.updates) == 0 || p.updates[len(p.updates)-1] != want {
		t.Fatalf("updates end at %v, want %d", p.updates[max(0, len(p.updates)-1):], want)
	}
	for i, n := range p.updates {
		if n > want || (i > 0 && n < p.updates[i-1]) {
			t.Errorf("update %d says %d objects (before: %d; total %d)", i, n, p.updates[max(0, i-1)], want)
		}
	}
	// Two chains each report every tallyEvery objects and after each
	// snapshot: far fewer calls than objects.
	if limit := int(want/tallyEvery) + 10; len(p.updates) > limit || p.steps != 0 {
		t.Errorf("%d updates and %d steps for %d objects, want at most %d updates", len(p.updates), p.steps, want, limit)
	}
	if !p.kinds["items"] {
		t.Errorf("updates named the kinds %v, want items among them", p.kinds)
	}
}

// TestRestoreDBProgressWithoutChanges: snapshots that recorded no changes
// (BenchmarkOffsite's history: 1% of the items changed a day) are
// estimated from the bytes they added; the estimate stays near what
// restore-db files.
func TestRestoreDBProgressWithoutChanges(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 6; d++ {
		if _, err := writeOffsiteDay(db, 20_000, max(d-1, 1), d); err != nil {
			t.Fatal(err)
		}
	}
	want := storedAnew(t, db, "acme")
	_, p := pushRestoreProgress(t, dir, db)
	t.Logf("expected %v, filed %d", p.expects, want)
	if len(p.expects) != 1 || p.expects[0] < want*95/100 || p.expects[0] > want*105/100 {
		t.Errorf("Expect(%v), want within 5%% of %d", p.expects, want)
	}
	if len(p.updates) == 0 || p.updates[len(p.updates)-1] != want {
		t.Errorf("updates end at %v, want %d", p.updates[max(0, len(p.updates)-1):], want)
	}
}

// TestRestoreTallyTakesBack: a snapshot's import that fails after it
// reported some of its objects takes them back, and one that succeeds
// reports the rest: the count is of what the database holds.
func TestRestoreTallyTakesBack(t *testing.T) {
	p := &recordingProgress{}
	rp := newRestoreProgress(p)
	ok := &tally{rp: rp}
	for range 1500 {
		ok.one("items")
	}
	ok.flush()
	failed := &tally{rp: rp}
	for range 2500 {
		failed.one("types")
	}
	if got := p.updates[len(p.updates)-1]; got != 1500+2*tallyEvery {
		t.Fatalf("count %d while the second import runs, want %d", got, 1500+2*tallyEvery)
	}
	failed.takeBack()
	if want := []int64{tallyEvery, 1500, 1500 + tallyEvery, 1500 + 2*tallyEvery, 1500}; !slices.Equal(p.updates, want) {
		t.Errorf("updates %v, want %v", p.updates, want)
	}
	rp.expect(5000)
	rp.less(4000)
	if want := []int64{5000, 1500}; !slices.Equal(p.expects, want) {
		t.Errorf("totals %v, want %v (never below the count)", p.expects, want)
	}
}

// TestRestoreDBProgressAfterForget: a target whose retention forgot
// snapshots (offsite forget follows the local one) holds chains with
// gaps, where a snapshot's recorded changes (since the one before it on
// the machine, now gone) cover one interval of the several its delta
// spans: the estimate scales them by the gap, so that it stays near what
// restore-db files instead of far below it.
func TestRestoreDBProgressAfterForget(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 8; d++ {
		writeProgressDay(t, db, "acme", d, true)
	}
	snaps, err := db.Snapshots("acme")
	if err != nil {
		t.Fatal(err)
	}
	// Days 1, 6, 7 and 8 are kept: day 6's delta spans five days.
	if err := db.Forget(snaps[1].ID, snaps[2].ID, snaps[3].ID, snaps[4].ID); err != nil {
		t.Fatal(err)
	}
	want := storedAnew(t, db, "acme")
	rep, p := pushRestoreProgress(t, dir, db)
	if len(rep.Snapshots) != 4 {
		t.Fatalf("restored %d snapshots, want 4", len(rep.Snapshots))
	}
	t.Logf("expected %v, filed %d", p.expects, want)
	if len(p.expects) != 1 || p.expects[0] < want*95/100 || p.expects[0] > want*110/100 {
		t.Errorf("Expect(%v), want within 5%% below or 10%% above %d", p.expects, want)
	}
	if len(p.updates) == 0 || p.updates[len(p.updates)-1] != want {
		t.Errorf("updates end at %v, want %d", p.updates[max(0, len(p.updates)-1):], want)
	}
}

// pushRestoreProgress pushes db to a file:// target in dir and rebuilds
// it with restore-db, returning the report and what its Progress heard.
func pushRestoreProgress(t *testing.T, dir string, db *snapshot.DB) (*RestoreDBReport, *recordingProgress) {
	t.Helper()
	svc := offsiteTestService(t, dir, db, "progress-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	p := &recordingProgress{}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "progress-Password-1",
		To: filepath.Join(dir, "restored.db"), Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	return rep, p
}
