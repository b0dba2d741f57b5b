package offsite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// ownLocks is a Backend whose listing of locks/ shows only the locks
// written through it: a target that lists inconsistently, or anything
// else that lets two conflicting operations run at once. putHook, when
// set, runs once before the first Put under its prefix; getGone makes
// Get of the named objects ErrNotExist (released or forgotten between
// the listing and the read).
type ownLocks struct {
	Backend
	mu        sync.Mutex
	mine      map[string]bool
	hookAt    string
	putHook   func()
	getGone   map[string]bool
	hideOther bool
}

func (o *ownLocks) Put(ctx context.Context, name string, b []byte) error {
	o.mu.Lock()
	if strings.HasPrefix(name, "locks/") {
		if o.mine == nil {
			o.mine = map[string]bool{}
		}
		o.mine[name] = true
	}
	var hook func()
	if o.putHook != nil && strings.HasPrefix(name, o.hookAt) {
		hook, o.putHook = o.putHook, nil
	}
	o.mu.Unlock()
	if hook != nil {
		hook()
	}
	return o.Backend.Put(ctx, name, b)
}

func (o *ownLocks) Get(ctx context.Context, name string) ([]byte, error) {
	if o.getGone[name] {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return o.Backend.Get(ctx, name)
}

func (o *ownLocks) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if prefix != "locks/" || !o.hideOther {
		return o.Backend.List(ctx, prefix, fn)
	}
	return o.Backend.List(ctx, prefix, func(info ObjectInfo) error {
		o.mu.Lock()
		mine := o.mine[info.Name]
		o.mu.Unlock()
		if !mine {
			return nil
		}
		return fn(info)
	})
}

func openOn(t *testing.T, b Backend, name string) *Repo {
	t.Helper()
	r, err := Open(context.Background(), b, testOptions(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reuseSetup pushes s1 and s2, forgets s1, and returns s3, which holds
// s1's objects again: a prune now frees what s3 needs, and a push of s3
// that loaded the index before the prune reuses it.
func reuseSetup(t *testing.T, dir string) (*Repo, *memSnap, *memSnap) {
	t.Helper()
	ctx := context.Background()
	a := newFileRepo(t, dir, "a")
	s1, s2 := day("s1", 1, 2000, 2000), day("s2", 2, 2000, 2000)
	if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{s1, s2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Forget(ctx, func(_, id string) bool { return id != "s1" }); err != nil {
		t.Fatal(err)
	}
	s3 := day("s3", 1, 2000, 2000)
	s3.at = time.Date(2026, 1, 3, 3, 0, 0, 0, time.UTC)
	return a, s2, s3
}

func verifyClean(t *testing.T, r *Repo, step string) {
	t.Helper()
	v, err := r.Verify(context.Background(), true)
	if err != nil || len(v.Problems) != 0 {
		t.Errorf("%s: verify = %+v, %v", step, v.Problems, err)
	}
}

func countFiles(t *testing.T, dir, sub string) int {
	t.Helper()
	got, err := filepath.Glob(filepath.Join(dir, sub, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// removeAfterRefresh is a Backend that removes the lock object right
// after its first refresh wrote it, as `offsite unlock --all` run then
// would: inside the refresh, so the test does not race it.
type removeAfterRefresh struct {
	Backend
	puts int // of locks/, by the refresh goroutine after the first
}

func (b *removeAfterRefresh) Put(ctx context.Context, name string, data []byte) error {
	if err := b.Backend.Put(ctx, name, data); err != nil || !strings.HasPrefix(name, "locks/") {
		return err
	}
	if b.puts++; b.puts == 2 { // acquire's, then the first refresh
		return b.Backend.Delete(ctx, name)
	}
	return nil
}

// TestRefreshStopsOnRemovedLock: a held lock whose object was removed
// (offsite unlock --all, or a prune that took it for stale) is not
// written again by its refresh: the holder's work is cancelled with
// ErrLockLost.
func TestRefreshStopsOnRemovedLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	newFileRepo(t, dir, "a")
	r := openOn(t, &removeAfterRefresh{Backend: &fileBackend{dir: dir}}, "a")
	r.opts.LockRefresh = time.Millisecond
	h, lctx, err := r.acquire(ctx, "push", false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	select {
	case <-lctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the holder of a removed lock carries on")
	}
	if cause := context.Cause(lctx); !errors.Is(cause, ErrLockLost) || !strings.Contains(cause.Error(), "run it again") {
		t.Errorf("cause = %v, want ErrLockLost saying what to do", cause)
	}
	if _, err := os.Stat(filepath.Join(dir, "locks", h.lock.Object)); !os.IsNotExist(err) {
		t.Errorf("the removed lock was written again: %v", err)
	}
}

// TestSkewedClockTakesNoLiveLock: a machine whose clock is 31 minutes
// ahead judges locks on the target's clock: a push's live lock blocks
// its prune, and unlock (without --all) leaves it.
func TestSkewedClockTakesNoLiveLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := newFileRepo(t, dir, "a")
	h, _, err := a.acquire(ctx, "push", false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	b := newFileRepo(t, dir, "b")
	b.opts.Now = func() time.Time { return time.Now().Add(31 * time.Minute) }
	if _, err := b.Prune(ctx); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "shared lock of a") {
		t.Errorf("prune ahead of the target's clock = %v, want ErrLocked naming the push", err)
	}
	removed, err := b.Unlock(ctx, false)
	if err != nil || len(removed) != 0 {
		t.Errorf("unlock ahead of the target's clock removed %+v, %v", removed, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "locks", h.lock.Object)); err != nil {
		t.Errorf("the live lock is gone: %v", err)
	}
	if n := countFiles(t, dir, "locks"); n != 1 {
		t.Errorf("locks/ holds %d objects, want the push's alone (unlock's probe removed)", n)
	}
}

// TestPushFenceAfterPrune: a prune that runs during a push (its listing
// misses the push's lock) deletes packs the push reuses; the push sees
// the index files it loaded gone after writing its record, removes the
// record and fails with ErrLockLost. Nothing broken is published, and
// the next push works.
func TestPushFenceAfterPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, s2, s3 := reuseSetup(t, dir)
	b := openOn(t, &ownLocks{Backend: &fileBackend{dir: dir}, hideOther: true}, "b")
	b.opts.PruneWindow = time.Nanosecond
	src := &hookSource{memSource: memSource{snaps: []*memSnap{s2, s3}}}
	src.hook = func() {
		rep, err := b.Prune(ctx)
		if err != nil || rep.Deleted == 0 {
			t.Errorf("prune during the push = %+v, %v; want packs deleted", rep, err)
		}
	}
	_, err := a.Push(ctx, src)
	if !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "a prune ran during this push") || !strings.Contains(err.Error(), "run the push again") {
		t.Fatalf("push = %v, want ErrLockLost naming the prune", err)
	}
	snaps, err := a.Snapshots(ctx)
	if err != nil || len(snaps) != 1 || snaps[0].LocalID != "s2" {
		t.Errorf("snapshots after the fenced push = %d, %v; want s2 alone", len(snaps), err)
	}
	verifyClean(t, a, "after the fenced push")
	if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{s2, s3}}); err != nil {
		t.Fatal(err)
	}
	verifyClean(t, a, "after the next push")
	got := restoreAll(t, a)
	if !reflect.DeepEqual(got["a/s3"], want(s3)) {
		t.Errorf("s3 restores other objects")
	}
}

// TestPruneFenceUndoes: a push that runs during a prune (its listing
// misses the prune's lock) and writes a record after the prune read the
// records is seen by the prune after it deleted the old index files: it
// writes them back, deletes no pack and fails with ErrLockLost. The
// push's snapshot restores, and the next prune works.
func TestPruneFenceUndoes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, s2, s3 := reuseSetup(t, dir)
	a := openOn(t, &ownLocks{Backend: &fileBackend{dir: dir}, hideOther: true}, "a")
	bb := &ownLocks{Backend: &fileBackend{dir: dir}, hookAt: "index/"}
	b := openOn(t, bb, "b")
	b.opts.PruneWindow = time.Nanosecond
	packs := countFiles(t, dir, "data")
	bb.putHook = func() { // the prune is about to write its new index
		if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{s2, s3}}); err != nil {
			t.Errorf("push during the prune: %v", err)
		}
	}
	_, err := b.Prune(ctx)
	if !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "a push wrote") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("prune = %v, want ErrLockLost naming the push", err)
	}
	if n := countFiles(t, dir, "data"); n < packs {
		t.Errorf("data/ holds %d packs, %d before the prune", n, packs)
	}
	verifyClean(t, a, "after the undone prune")
	got := restoreAll(t, a)
	if !reflect.DeepEqual(got["a/s3"], want(s3)) {
		t.Errorf("s3 restores other objects")
	}
	if _, err := b.Prune(ctx); err != nil {
		t.Errorf("the next prune = %v", err)
	}
	verifyClean(t, a, "after the next prune")
}

// TestLocksDropReleased: a lock released between the listing and its
// read is no lock: a prune starting as a push ends runs.
func TestLocksDropReleased(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := newFileRepo(t, dir, "a")
	h, _, err := a.acquire(ctx, "push", false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	b := openOn(t, &ownLocks{Backend: &fileBackend{dir: dir}, getGone: map[string]bool{"locks/" + h.lock.Object: true}}, "b")
	if _, err := b.Prune(ctx); err != nil {
		t.Errorf("prune beside a released lock = %v", err)
	}
	locks, err := b.Locks(ctx)
	if err != nil || len(locks) != 0 {
		t.Errorf("locks = %+v, %v; want none", locks, err)
	}
}

// TestPruneRecordGone: a record listed but gone when prune reads it
// stops the prune before it deletes anything: under its exclusive lock
// that is a broken lock or a target that lists what it does not hold,
// and what only that record used would be freed.
func TestPruneRecordGone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := newFileRepo(t, dir, "a")
	if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 2000, 2000), day("s2", 2, 2000, 2000)}}); err != nil {
		t.Fatal(err)
	}
	snaps, err := a.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	gone := map[string]bool{"snapshots/" + snaps[0].Object.String(): true}
	b := openOn(t, &ownLocks{Backend: &fileBackend{dir: dir}, getGone: gone}, "b")
	b.opts.PruneWindow = time.Nanosecond
	packs := countFiles(t, dir, "data")
	if _, err := b.Prune(ctx); err == nil || !strings.Contains(err.Error(), "listed but is gone") {
		t.Errorf("prune with a vanished record = %v, want an error naming it", err)
	}
	if n := countFiles(t, dir, "data"); n != packs {
		t.Errorf("data/ holds %d packs, %d before", n, packs)
	}
	verifyClean(t, a, "after the stopped prune")
}

// TestDeltaByteCap: a delta whose encoded size would pass the cap is
// pushed as a full tree, and restores.
func TestDeltaByteCap(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	old := maxDeltaBytes
	maxDeltaBytes = 1 << 10
	defer func() { maxDeltaBytes = old }()
	src := &memSource{snaps: []*memSnap{day("s1", 1, 2000, 0), day("s2", 2, 2000, 10), day("s3", 3, 2000, 100)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var depths []int
	for _, s := range snaps {
		depths = append(depths, s.Collections["items/clients-slug"].Depth)
	}
	// s2's 10 changes fit in 1 KiB (a delta); s3's 100 do not.
	if want := []int{0, 1, 0}; !reflect.DeepEqual(depths, want) {
		t.Errorf("depths = %v, want %v", depths, want)
	}
	got := restoreAll(t, r)
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
			t.Errorf("%s restores other objects", s.id)
		}
	}
}
