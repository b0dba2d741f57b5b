package offsite

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func cachedFileRepo(t *testing.T, dir string) *Repo {
	t.Helper()
	o := testOptions("a")
	o.CacheDir = t.TempDir()
	r, err := OpenOrInit(context.Background(), &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// largestPack returns the name of the largest file under dir/data.
func largestPack(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var size int64
	for _, e := range es {
		fi, err := e.Info()
		if err == nil && fi.Size() > size {
			name, size = e.Name(), fi.Size()
		}
	}
	if name == "" {
		t.Fatal("no pack")
	}
	return name
}

// checkRepaired: verify --read-data finds no incomplete snapshot and
// every snapshot restores as the source holds it.
func checkRepaired(t *testing.T, r *Repo, src *memSource) {
	t.Helper()
	v, err := r.Verify(context.Background(), true)
	if err != nil || len(v.Incomplete) != 0 {
		t.Fatalf("verify after the repair: %v, incomplete %+v, problems %+v", err, v.Incomplete, v.Problems)
	}
	got := restoreAll(t, r)
	if len(got) != len(src.snaps) {
		t.Errorf("%d snapshots on the target, want %d", len(got), len(src.snaps))
	}
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
			t.Errorf("snapshot %s does not restore as pushed", s.id)
		}
	}
}

// TestPushRepairsLostPack: a pack lost from data/ is reported by verify
// with the snapshots it leaves incomplete; the next push dedupes nothing
// against it, pushes those snapshots again (the new one too) and after it
// every snapshot restores; prune then drops the lost pack's entries.
func TestPushRepairsLostPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2), chainDay(3)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	lost := largestPack(t, dir)
	if err := os.Remove(filepath.Join(dir, "data", lost)); err != nil {
		t.Fatal(err)
	}
	v, err := r.Verify(ctx, false)
	if err != nil || len(v.Incomplete) != 3 {
		t.Fatalf("verify: %v, incomplete %+v, want all 3 snapshots", err, v.Incomplete)
	}
	for _, s := range v.Incomplete {
		if len(s.Packs) != 1 || s.Packs[0] != "data/"+lost {
			t.Errorf("incomplete snapshot %s names packs %v, want data/%s", s.LocalID, s.Packs, lost)
		}
	}
	src.snaps = append(src.snaps, chainDay(4))
	rep, err := r.Push(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repaired) != 3 || len(rep.Pushed) != 4 || rep.Already != 0 || rep.Uploaded == 0 {
		t.Errorf("push after the loss: %+v, want the 3 snapshots pushed again and the new one", rep)
	}
	checkRepaired(t, r, src)
	// A push after the repair finds nothing to do and walks no tree.
	if rep, err := r.Push(ctx, src); err != nil || len(rep.Pushed) != 0 || rep.Already != 4 {
		t.Errorf("push after the repair: %+v, %v", rep, err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatalf("prune after the repair: %v", err)
	}
	r.opts.Now = time.Now
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify after prune: %v, %+v", err, v.Problems)
	}
	checkRepaired(t, r, src)
}

// TestPushRepairsFlippedByte: a byte flipped in a pack is found by
// verify --read-data, which records it; prune then refuses, the next push
// deletes the pack and uploads what it held again, and every snapshot
// restores; prune runs again after that.
func TestPushRepairsFlippedByte(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	bad := largestPack(t, dir)
	path := filepath.Join(dir, "data", bad)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := r.Verify(ctx, true)
	if err != nil || len(v.Incomplete) == 0 {
		t.Fatalf("verify --read-data: %v, incomplete %+v, problems %+v", err, v.Incomplete, v.Problems)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	_, err = r.Prune(ctx)
	if err == nil || !strings.Contains(err.Error(), "data/"+bad[:12]) || !strings.Contains(err.Error(), "offsite push") {
		t.Fatalf("prune with a damaged pack = %v, want a refusal naming data/%s", err, bad[:12])
	}
	r.opts.Now = time.Now
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the refused prune touched the damaged pack: %v", err)
	}
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Repaired) != len(v.Incomplete) {
		t.Fatalf("push after verify: %+v, %v, want %d snapshots pushed again", rep, err, len(v.Incomplete))
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the damaged pack is still there after the push: %v", err)
	}
	checkRepaired(t, r, src)
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatalf("prune after the repair: %v", err)
	}
	r.opts.Now = time.Now
	checkRepaired(t, r, src)
}

// TestPruneRefusesMissingPack: while a snapshot needs what only a missing
// pack held, prune refuses, naming the pack and saying to push, and
// deletes nothing.
func TestPruneRefusesMissingPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{day("s1", 1, 300, 0), day("s2", 2, 300, 300)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	lost := largestPack(t, dir)
	if err := os.Remove(filepath.Join(dir, "data", lost)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(filepath.Join(dir, "data"))
	idxBefore, _ := os.ReadDir(filepath.Join(dir, "index"))
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	_, err := r.Prune(ctx)
	if err == nil || !strings.Contains(err.Error(), "data/"+lost[:12]) || !strings.Contains(err.Error(), "offsite push") {
		t.Fatalf("prune with a missing pack = %v, want a refusal naming data/%s", err, lost[:12])
	}
	after, _ := os.ReadDir(filepath.Join(dir, "data"))
	idxAfter, _ := os.ReadDir(filepath.Join(dir, "index"))
	if len(after) != len(before) || len(idxAfter) != len(idxBefore) {
		t.Errorf("the refused prune changed the target: %d packs, %d index files before, %d, %d after", len(before), len(idxBefore), len(after), len(idxAfter))
	}
	r.opts.Now = time.Now
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatalf("prune after the repair: %v", err)
	}
	r.opts.Now = time.Now
	checkRepaired(t, r, src)
}

// countData counts a push's LISTs of data/ and reads of packs.
type countData struct {
	Backend
	mu           sync.Mutex
	lists, reads int
}

func (c *countData) List(ctx context.Context, dir string, fn func(ObjectInfo) error) error {
	if dir == "data/" {
		c.mu.Lock()
		c.lists++
		c.mu.Unlock()
	}
	return c.Backend.List(ctx, dir, fn)
}

func (c *countData) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "data/") {
		c.mu.Lock()
		c.reads++
		c.mu.Unlock()
	}
	return c.Backend.Get(ctx, name)
}

// TestPushChecksOnlyAfterDamage: a push with a warm cache lists data/
// once and reads no pack; after a pack is lost, one push reads the trees
// and repairs, and the pushes after it (the lost pack still indexed until
// a prune) read no pack again.
func TestPushChecksOnlyAfterDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cb := &countData{Backend: &fileBackend{dir: dir}}
	o := testOptions("a")
	o.CacheDir = t.TempDir()
	r, err := OpenOrInit(ctx, cb, o)
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	push := func(d int) (PushReport, int, int) {
		t.Helper()
		src.snaps = append(src.snaps, chainDay(d))
		cb.lists, cb.reads = 0, 0
		rep, err := r.Push(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		return rep, cb.lists, cb.reads
	}
	if rep, lists, reads := push(3); lists != 1 || reads != 0 || len(rep.Pushed) != 1 {
		t.Errorf("push: %d LISTs of data/, %d packs read, %+v; want 1, 0", lists, reads, rep)
	}
	if err := os.Remove(filepath.Join(dir, "data", largestPack(t, dir))); err != nil {
		t.Fatal(err)
	}
	if rep, _, reads := push(4); reads == 0 || len(rep.Repaired) == 0 {
		t.Errorf("push after a pack was lost: %d packs read, %+v; want the trees read and snapshots repaired", reads, rep)
	}
	if rep, lists, reads := push(5); lists != 1 || reads != 0 || len(rep.Pushed) != 1 || len(rep.Repaired) != 0 {
		t.Errorf("push after the repair: %d LISTs of data/, %d packs read, %+v; want 1, 0", lists, reads, rep)
	}
	checkRepaired(t, r, src)
}
