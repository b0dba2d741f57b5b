package offsite

import (
	"bytes"
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

func TestPushRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := newFileRepo(t, dir, "host-a")
	src := &memSource{snaps: []*memSnap{day("s1", 1, 3000, 30), day("s2", 2, 3000, 30), day("s3", 3, 3000, 30)}}
	rep, err := r.Push(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pushed) != 3 || rep.Pending != 0 {
		t.Fatalf("push = %+v", rep)
	}
	got := restoreAll(t, r)
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["host-a/"+s.id], want(s)) {
			t.Errorf("snapshot %s differs after the round trip", s.id)
		}
	}
	// An unchanged second push uploads nothing but its lock.
	rep, err = r.Push(context.Background(), src)
	if err != nil || len(rep.Pushed) != 0 || rep.Already != 3 || rep.Uploaded > 1024 {
		t.Errorf("second push = %+v, %v", rep, err)
	}
	// A day with 1% churn uploads the changed objects, their chunks and a
	// record, not the workspace.
	src.snaps = append(src.snaps, day("s4", 4, 3000, 30))
	rep, err = r.Push(context.Background(), src)
	if err != nil || rep.Blobs != 30 {
		t.Fatalf("churn push = %+v, %v", rep, err)
	}
	v, err := r.Verify(context.Background(), true)
	if err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v, err)
	}
}

// TestNothingReadable greps the target's bytes for names, values and the
// password.
func TestNothingReadable(t *testing.T) {
	dir := t.TempDir()
	r := newFileRepo(t, dir, "daemon-name-x")
	if _, err := r.Push(context.Background(), &memSource{snaps: []*memSnap{day("s1", 1, 500, 5)}}); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range []string{"acme-workspace", "clients-slug", "secret-value", "daemon-name-x", testPassword, "s1"} {
			if strings.Contains(p, s) {
				t.Errorf("object name %s holds %q", p, s)
			}
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"acme-workspace", "clients-slug", "secret-value", "daemon-name-x", testPassword} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInterruptedPush fails uploads mid-push: no snapshot becomes visible,
// and the next push completes and reuses the indexed packs.
func TestInterruptedPush(t *testing.T) {
	dir := t.TempDir()
	newFileRepo(t, dir, "host-a")
	src := &memSource{snaps: []*memSnap{day("s1", 1, 20000, 0)}}
	for _, okPuts := range []int64{1, 3, 8, 15} {
		fb := &flaky{Backend: &fileBackend{dir: dir}}
		fb.okPuts.Store(okPuts)
		r, err := Open(context.Background(), fb, testOptions("host-a"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Push(context.Background(), src); !errors.Is(err, errInjected) {
			t.Fatalf("push with %d uploads = %v, want the injected failure", okPuts, err)
		}
		snaps, err := r.Snapshots(context.Background())
		if err != nil || len(snaps) != 0 {
			t.Fatalf("after a failed push: %d snapshots, %v", len(snaps), err)
		}
	}
	r := newFileRepo(t, dir, "host-a")
	full := func() int64 {
		other := newFileRepo(t, t.TempDir(), "host-a")
		rep, err := other.Push(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Uploaded
	}()
	rep, err := r.Push(context.Background(), src)
	if err != nil || len(rep.Pushed) != 1 {
		t.Fatalf("push after the failures = %+v, %v", rep, err)
	}
	if rep.Uploaded >= full {
		t.Errorf("the resumed push uploaded %d bytes, a push from scratch %d: nothing reused", rep.Uploaded, full)
	}
	if !reflect.DeepEqual(restoreAll(t, r)["host-a/s1"], want(src.snaps[0])) {
		t.Error("restored snapshot differs")
	}
	v, err := r.Verify(context.Background(), true)
	if err != nil || len(v.Problems) != 0 || v.Unindexed == 0 {
		t.Errorf("verify = %+v, %v; want no problems and the unindexed packs counted", v, err)
	}
	// Prune removes the leftovers once they are older than the window.
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	p, err := r.Prune(context.Background())
	if err != nil || p.Deleted == 0 {
		t.Errorf("prune = %+v, %v", p, err)
	}
	r.opts.Now = time.Now
	if v, err := r.Verify(context.Background(), true); err != nil || len(v.Problems) != 0 || v.Unindexed != 0 {
		t.Errorf("verify after prune = %+v, %v", v, err)
	}
}

// TestCancelledPush cancels a push from inside the source's walk.
func TestCancelledPush(t *testing.T) {
	dir := t.TempDir()
	r := newFileRepo(t, dir, "host-a")
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelSource{memSource: memSource{snaps: []*memSnap{day("s1", 1, 5000, 0)}}, after: 2500, cancel: cancel}
	if _, err := r.Push(ctx, src); !errors.Is(err, context.Canceled) {
		t.Fatalf("push = %v, want cancelled", err)
	}
	if snaps, _ := r.Snapshots(context.Background()); len(snaps) != 0 {
		t.Fatalf("%d snapshots visible after a cancelled push", len(snaps))
	}
	if locks, _ := r.Locks(context.Background()); len(locks) != 0 {
		t.Errorf("cancelled push left %d locks", len(locks))
	}
	if rep, err := r.Push(context.Background(), &src.memSource); err != nil || len(rep.Pushed) != 1 {
		t.Fatalf("next push = %+v, %v", rep, err)
	}
}

type cancelSource struct {
	memSource
	after  int
	n      int
	cancel func()
}

func (c *cancelSource) Read(l Local, coll, key string, id ID) ([]byte, error) {
	if c.n++; c.n == c.after {
		c.cancel()
	}
	return c.memSource.Read(l, coll, key, id)
}

func TestWrongPassword(t *testing.T) {
	dir := t.TempDir()
	newFileRepo(t, dir, "a")
	o := testOptions("a")
	o.Password = "Not-The-Password-7"
	_, err := Open(context.Background(), &fileBackend{dir: dir}, o)
	if !errors.Is(err, ErrPassword) || strings.Contains(err.Error(), o.Password) {
		t.Errorf("open with a wrong password = %v", err)
	}
	if _, err := Open(context.Background(), &fileBackend{dir: t.TempDir()}, o); !errors.Is(err, ErrNoRepository) {
		t.Errorf("open of an empty target = %v", err)
	}
}

// TestKeyRotation adds a key for a new password and removes the old one.
func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r := newFileRepo(t, dir, "a")
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 100, 0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.AddKey(ctx, "New-Password-2"); err != nil {
		t.Fatal(err)
	}
	o := testOptions("a")
	o.Password = "New-Password-2"
	r2, err := Open(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.RemoveKey(ctx, r.keyName); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, &fileBackend{dir: dir}, testOptions("a")); !errors.Is(err, ErrPassword) {
		t.Errorf("old password after removal = %v", err)
	}
	if got := restoreAll(t, r2); len(got) != 1 {
		t.Errorf("restored %d snapshots with the new key", len(got))
	}
}

// TestTamperedPack flips a byte of one pack: verify --read-data names it.
func TestTamperedPack(t *testing.T) {
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	if _, err := r.Push(context.Background(), &memSource{snaps: []*memSnap{day("s1", 1, 2000, 0)}}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "data", "*"))
	if len(packs) < 2 {
		t.Fatalf("%d packs", len(packs))
	}
	victim := packs[0]
	b, _ := os.ReadFile(victim)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(victim, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := r.Verify(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	name := "data/" + filepath.Base(victim)
	found := false
	for _, p := range v.Problems {
		found = found || p.Object == name
	}
	if !found {
		t.Errorf("problems %+v do not name %s", v.Problems, name)
	}
}

// TestLocks: a live exclusive lock blocks a push and is named; a stale
// one does not block and unlock removes it.
func TestLocks(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	pruner := newFileRepo(t, dir, "pruner-host")
	h, _, err := pruner.acquire(ctx, "prune", true)
	if err != nil {
		t.Fatal(err)
	}
	pusher := newFileRepo(t, dir, "pusher-host")
	_, err = pusher.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 10, 0)}})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pruner-host") || !strings.Contains(err.Error(), "offsite unlock") {
		t.Fatalf("push under an exclusive lock = %v", err)
	}
	h.close()
	// The lock goes stale when its holder dies (no refresh): the target
	// last wrote it longer than the expiry ago.
	old := time.Now().Add(-DefaultLockExpiry - time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "locks", h.lock.Object), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := pusher.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 10, 0)}}); err != nil {
		t.Fatalf("push beside a stale lock = %v", err)
	}
	removed, err := pusher.Unlock(ctx, false)
	if err != nil || len(removed) != 1 || removed[0].Name != "pruner-host" {
		t.Errorf("unlock = %+v, %v", removed, err)
	}
}

// close stops refreshing without removing the lock, as a killed process.
func (h *heldLock) close() {
	close(h.stop)
	h.done.Wait()
	h.cancel(nil)
}

// TestTwoDaemons pushes from two names at once into one target; both
// restore, and forget touches only its own name's snapshots.
func TestTwoDaemons(t *testing.T) {
	dir := t.TempDir()
	newFileRepo(t, dir, "a")
	ctx := context.Background()
	srcs := map[string]*memSource{
		"a": {snaps: []*memSnap{day("a1", 1, 3000, 0), day("a2", 2, 3000, 30)}},
		"b": {snaps: []*memSnap{day("b1", 1, 2000, 0)}},
	}
	var wg sync.WaitGroup
	for name, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Open(ctx, &fileBackend{dir: dir}, testOptions(name))
			if err == nil {
				_, err = r.Push(ctx, src)
			}
			if err != nil {
				t.Errorf("push of %s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	r := newFileRepo(t, dir, "a")
	got := restoreAll(t, r)
	for name, src := range srcs {
		for _, s := range src.snaps {
			if !reflect.DeepEqual(got[name+"/"+s.id], want(s)) {
				t.Errorf("%s/%s differs", name, s.id)
			}
		}
	}
	f, err := r.Forget(ctx, func(ws, id string) bool { return id != "a1" })
	if err != nil || len(f.Forgotten) != 1 || f.Kept != 2 {
		t.Fatalf("forget = %+v, %v", f, err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	got = restoreAll(t, r)
	if len(got) != 2 || !reflect.DeepEqual(got["b/b1"], want(srcs["b"].snaps[0])) || !reflect.DeepEqual(got["a/a2"], want(srcs["a"].snaps[1])) {
		t.Errorf("after forget and prune: %d snapshots", len(got))
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v, err)
	}
}

// countGets counts the reads of index files and snapshot records.
type countGets struct {
	Backend
	gets int
}

func (c *countGets) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "index/") || strings.HasPrefix(name, "snapshots/") {
		c.gets++
	}
	return c.Backend.Get(ctx, name)
}

// TestCache: with a cache, a second push reads no index file nor snapshot
// record; a cached object the target no longer lists is not used.
func TestCache(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	ctx := context.Background()
	cb := &countGets{Backend: &fileBackend{dir: dir}}
	o := testOptions("a")
	o.CacheDir = cache
	r, err := OpenOrInit(ctx, cb, o)
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{day("s1", 1, 500, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	src.snaps = append(src.snaps, day("s2", 2, 500, 5))
	cb.gets = 0
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if cb.gets != 0 {
		t.Errorf("second push read %d index files and records, want 0 (cached)", cb.gets)
	}
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id != "s1" }); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 1 || snaps[0].LocalID != "s2" {
		t.Errorf("after forget: %d snapshots, %v", len(snaps), err)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "snapshots", "*")); len(left) != 1 {
		t.Errorf("cache holds %d records, want 1", len(left))
	}
}

// TestRecordRefresh: a local record that changed after its push (a later
// backup protected the snapshot) is written again, alone.
func TestRecordRefresh(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &protectSource{memSource: memSource{snaps: []*memSnap{day("s1", 1, 200, 0)}}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	src.protected = true
	rep, err := r.Push(ctx, src)
	if err != nil || rep.Refreshed != 1 || rep.Blobs+rep.Chunks != 0 {
		t.Fatalf("push = %+v, %v", rep, err)
	}
	snaps, _ := r.Snapshots(ctx)
	if len(snaps) != 1 || !strings.Contains(string(snaps[0].Record), "protected") {
		t.Errorf("records after the refresh: %d", len(snaps))
	}
	if rep, err := r.Push(ctx, src); err != nil || rep.Refreshed != 0 {
		t.Errorf("third push = %+v, %v", rep, err)
	}
}

type protectSource struct {
	memSource
	protected bool
}

func (p *protectSource) Snapshots() ([]Local, error) {
	ls, err := p.memSource.Snapshots()
	for i := range ls {
		if p.protected {
			ls[i].Record = []byte(`{"protected":"last before a drop"}`)
		}
	}
	return ls, err
}

// TestPruneRepacks forgets a snapshot whose objects share packs with a
// kept one: prune deletes what only it used and rewrites mixed packs,
// and the kept snapshot still restores and verifies.
func TestPruneRepacks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	r.opts.PackSize = 16 << 10
	src := &memSource{snaps: []*memSnap{day("s1", 1, 3000, 0), day("s2", 2, 3000, 1500)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	before := dirBytes(t, dir)
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id == "s2" }); err != nil {
		t.Fatal(err)
	}
	// Inside the safety window nothing is deleted.
	if p, err := r.Prune(ctx); err != nil || p.Deleted+p.Repacked != 0 || p.Young == 0 {
		t.Fatalf("prune inside the window = %+v, %v", p, err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	p, err := r.Prune(ctx)
	if err != nil || p.Deleted == 0 || p.Repacked == 0 || p.FreedBytes == 0 {
		t.Fatalf("prune = %+v, %v", p, err)
	}
	r.opts.Now = time.Now
	if after := dirBytes(t, dir); after >= before {
		t.Errorf("target %d bytes after prune, %d before", after, before)
	}
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/s2"], want(src.snaps[1])) || len(got) != 1 {
		t.Errorf("after prune: %d snapshots, s2 equal: %v", len(got), reflect.DeepEqual(got["a/s2"], want(src.snaps[1])))
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 || v.Indexes != 1 {
		t.Errorf("verify = %+v, %v", v, err)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	return n
}

// TestConcurrentInit: processes creating a repository at once end up
// with one master key.
func TestConcurrentInit(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	repos := make([]*Repo, 4)
	for i := range repos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := OpenOrInit(context.Background(), &fileBackend{dir: dir}, testOptions(fmt.Sprint("d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			repos[i] = r
		}()
	}
	wg.Wait()
	names, _ := keyNames(context.Background(), &fileBackend{dir: dir})
	if len(names) != 1 {
		t.Fatalf("%d keys after concurrent creation", len(names))
	}
	for _, r := range repos {
		if r != nil && r.keyName != names[0] {
			t.Errorf("a process kept key %s, the repository has %s", r.keyName, names[0])
		}
	}
}

// TestDamagedRecord: a record that does not decrypt is a verify problem
// naming it; push goes on (and pushes that snapshot again); prune refuses
// to run.
func TestDamagedRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := testOptions("a")
	o.CacheDir = t.TempDir() // verify must read the target, not the cache
	r, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{day("s1", 1, 100, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	recs, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*"))
	b, _ := os.ReadFile(recs[0])
	b[20] ^= 1
	if err := os.WriteFile(recs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := r.Verify(ctx, false)
	if err != nil || len(v.Problems) != 1 || v.Problems[0].Object != "snapshots/"+filepath.Base(recs[0]) {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Pushed) != 1 {
		t.Errorf("push beside a damaged record = %+v, %v", rep, err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err == nil || !strings.Contains(err.Error(), filepath.Base(recs[0])) {
		t.Errorf("prune with a damaged record = %v", err)
	}
}

// TestRemoveKeyByPrefix: `offsite keys --remove` takes the start of a
// key's id, as the listing shows it, when it names one key.
func TestRemoveKeyByPrefix(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r := newFileRepo(t, dir, "a")
	first := r.keyName
	second, err := r.AddKey(ctx, "New-Password-2")
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions("a")
	o.Password = "New-Password-2"
	r2, err := Open(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.RemoveKey(ctx, first[:3]); !errors.Is(err, ErrNotExist) {
		t.Errorf("remove by a 3-character prefix = %v, want ErrNotExist", err)
	}
	if _, err := r2.RemoveKey(ctx, second[:8]); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the one this password opens") {
		t.Errorf("remove of the current key by prefix = %v, want a refusal", err)
	}
	if name, err := r2.RemoveKey(ctx, first[:8]); err != nil || name != first {
		t.Fatalf("remove by an 8-character prefix = %q, %v; want %q removed", name, err, first)
	}
	if _, err := Open(ctx, &fileBackend{dir: dir}, testOptions("a")); !errors.Is(err, ErrPassword) {
		t.Errorf("old password after removal = %v", err)
	}
}
