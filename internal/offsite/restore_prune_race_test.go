package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedKeys: key reads wait for release; index/ and snapshots/ Gets are
// counted once they complete.
type gatedKeys struct {
	Backend
	want    int
	mu      sync.Mutex
	gotten  int
	all     chan struct{}
	release chan struct{}
}

func (g *gatedKeys) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := g.Backend.Get(ctx, name)
	if strings.HasPrefix(name, "snapshots/") || strings.HasPrefix(name, "index/") {
		g.mu.Lock()
		g.gotten++
		if g.gotten == g.want {
			close(g.all)
		}
		g.mu.Unlock()
	}
	return b, err
}

func (g *gatedKeys) GetLimited(ctx context.Context, name string, max int64) ([]byte, error) {
	if strings.HasPrefix(name, "keys/") {
		<-g.release
	}
	return getLimited(ctx, g.Backend, name, max)
}

// A prune that completes while the key is derived (after the prefetch
// listed and downloaded index/, before NewRestorer's noPrune) makes
// restore fail with a missing pack and no prune hint; Open (listing after
// noPrune) restores fine.
func TestPrefetchSeesPruneEndedDuringKeyDerivation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	r.opts.PackSize = 16 << 10
	src := &memSource{snaps: []*memSnap{day("s1", 1, 3000, 0), day("s2", 2, 3000, 1500)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id == "s2" }); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sub := range []string{"snapshots", "index"} {
		es, _ := os.ReadDir(filepath.Join(dir, sub))
		n += len(es)
	}
	g := &gatedKeys{Backend: &fileBackend{dir: dir}, want: n, all: make(chan struct{}), release: make(chan struct{})}
	go func() {
		<-g.all
		r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
		p, err := r.Prune(ctx)
		t.Logf("prune during key derivation: %+v %v", p, err)
		close(g.release)
	}()
	rp, done, err := OpenPrefetching(ctx, g, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	snaps, err := rp.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rp.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatalf("NewRestorer: %v", err)
	}
	defer rs.Close()
	for _, s := range snaps {
		if err := rs.Objects(ctx, s, func(string, string, []byte) error { return nil }); err != nil {
			t.Errorf("Objects(%s) after a prune that finished before NewRestorer: %v; Err=%v", s.LocalID, err, rs.Err(ctx))
			break
		}
	}
}

// slowTree delays Gets of one pack (respecting ctx).
type slowTree struct {
	Backend
	slow string
}

func (s *slowTree) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil { // as an HTTP request with a cancelled ctx
		return nil, err
	}
	if name == "data/"+s.slow {
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Backend.Get(ctx, name)
}

// A tree pack missing, and a live prune lock: the call that needed it
// fails at once, and Err (which RestoreDB uses to add the prune) returns
// nil while the discovery is still busy with another snapshot.
func TestImportErrorNamesPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{}
	var idxBefore map[ID][]PackedBlob
	for d := 1; d <= 2; d++ {
		src.snaps = append(src.snaps, day("s"+string(rune('0'+d)), d, 300, 150))
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
		if d == 1 {
			x, err := r.loadIndex(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			idxBefore = map[ID][]PackedBlob{}
			for k, v := range x.packs {
				idxBefore[k] = v
			}
		}
	}
	x, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var slow string
	for pack, blobs := range x.packs {
		if blobs[0].Type != TreeBlob {
			continue
		}
		if _, old := idxBefore[pack]; old {
			slow = pack.String()
		} else if err := os.Remove(filepath.Join(dir, "data", pack.String())); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := Open(ctx, &slowTree{Backend: &fileBackend{dir: dir}, slow: slow}, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := rp.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rp.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	// A prune starts now (its exclusive lock).
	hl, _, err := r.acquire(ctx, "prune", true)
	if err != nil {
		t.Fatal(err)
	}
	defer hl.release()
	var s2 *Snapshot
	for _, s := range snaps {
		if s.LocalID == "s2" {
			s2 = s
		}
	}
	err = rs.Objects(ctx, s2, func(string, string, []byte) error { return nil })
	if err == nil {
		t.Fatal("Objects(s2) read a snapshot whose tree packs are gone")
	}
	if perr := rs.Err(ctx); perr == nil {
		// The import met the missing pack before the Restorer's own
		// reading did: RestoreDB explains the import's error.
		if err = rs.Explain(ctx, err); !errors.Is(err, ErrLocked) {
			t.Errorf("Explain = %v, want it to name the prune (ErrLocked)", err)
		}
	} else if !errors.Is(perr, ErrLocked) {
		t.Errorf("Err = %v, want it to name the prune (ErrLocked)", perr)
	}
}

// slowGets: a Backend whose index and record Gets take 100 ms ignoring
// ctx, counting the Gets under way and those started after a mark.
type slowGets struct {
	Backend
	after    atomic.Bool
	started  atomic.Int64
	underway atomic.Int64
}

func (s *slowGets) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "index/") || strings.HasPrefix(name, "snapshots/") {
		s.underway.Add(1)
		defer s.underway.Add(-1)
		if s.after.Load() {
			s.started.Add(1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s.Backend.Get(ctx, name)
}

func TestPrefetchEndsWithOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{}
	for d := 1; d <= 12; d++ {
		src.snaps = append(src.snaps, day("s"+string(rune('a'+d)), d, 20, 2))
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	base := runtime.NumGoroutine()
	sg := &slowGets{Backend: &fileBackend{dir: dir}}
	o := testOptions("a")
	o.Password = "wrong-password-123"
	_, done, err := OpenPrefetching(ctx, sg, o)
	sg.after.Store(true)
	if err == nil {
		done()
		t.Fatal("wrong password opened")
	}
	// The prefetcher's own work is counted exactly (the Gets under way
	// when it returned, and those started in the second after); the
	// goroutine count may take a moment to settle (the runtime's
	// finalizer goroutine counts while it runs a finalizer).
	underway := sg.underway.Load()
	n := runtime.NumGoroutine()
	settled := n <= base
	for i := 0; i < 100 && !settled; i++ {
		time.Sleep(10 * time.Millisecond)
		settled = runtime.NumGoroutine() <= base
	}
	time.Sleep(time.Second)
	t.Logf("goroutines: before %d, right after return %d; Gets under way at return %d, started after it (1s) %d", base, n, underway, sg.started.Load())
	if underway != 0 || sg.started.Load() != 0 || !settled {
		t.Errorf("OpenPrefetching returned %v with %d Gets under way, %d started after it, goroutines back to %d within a second: %v", err, underway, sg.started.Load(), base, settled)
	}
}

// A walk with a cancelled ctx (restore-db's other import chain, after
// the first failed) that reads a tree pack itself records
// context.Canceled as that pack's read; the discovery (not cancelled)
// then fails with it, and Wait/Err report "context canceled" for an
// intact target, hiding the first chain's cause.
func TestCancelledWalkLeavesTreesReadable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	r.opts.PackSize = 16 << 10
	src := &memSource{snaps: []*memSnap{day("s1", 1, 3000, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	src.snaps = append(src.snaps, day("s2", 2, 3000, 3000))
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	rp, err := Open(ctx, &fileBackend{dir: dir}, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := rp.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := rp.loadIndex(ctx, true)
	s1 := snaps[0]
	if s1.LocalID != "s1" {
		s1 = snaps[1]
	}
	var s2 *Snapshot
	for _, s := range snaps {
		if s.LocalID == "s2" {
			s2 = s
		}
	}
	loc, _ := idx.lookup(s1.Collections["items/clients-slug"].Root.Ref())
	rp.b = &slowTree{Backend: &fileBackend{dir: dir}, slow: loc.pack.String()}
	rs, err := rp.NewRestorer(ctx, []*Snapshot{s1, s2}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	root := s2.Collections["items/clients-slug"].Root.Ref()
	if _, err := rs.trees.chunk(ctx, root); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var pick Ref
	found := false
	rs.trees.mu.Lock()
	for p, blobs := range idx.packs {
		if blobs[0].Type != TreeBlob || p == loc.pack {
			continue
		}
		_, r1 := rs.trees.read[p]
		_, l1 := rs.trees.loading[p]
		_, c1 := rs.trees.chunks[blobs[0].Ref]
		if !r1 && !l1 && !c1 {
			pick, found = blobs[0].Ref, true
			break
		}
	}
	rs.trees.mu.Unlock()
	if !found {
		t.Skip("every tree pack read already")
	}
	_, err = rs.trees.chunk(cctx, pick)
	t.Logf("a walk with a cancelled ctx reading a tree pack: %v", err)
	werr := rs.Wait(ctx)
	if werr != nil {
		t.Errorf("Wait on an intact target = %v (Err = %v)", werr, rs.Err(ctx))
	}
}
