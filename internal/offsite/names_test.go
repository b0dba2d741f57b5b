package offsite

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shortNames shortens data blobs' names for a test, so that blobs share
// them (at 1 byte, a few hundred objects collide many times over).
func shortNames(t *testing.T, n int) {
	old := nameLen
	nameLen = n
	t.Cleanup(func() { nameLen = old })
}

// indexNames counts the data blobs the target's index names by a short
// name and by a long one.
func indexNames(t *testing.T, r *Repo) (short, long int) {
	t.Helper()
	idx, err := r.loadIndex(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, blobs := range idx.packs {
		for _, b := range blobs {
			switch {
			case b.Type != DataBlob:
			case b.Ref.long():
				long++
			default:
				short++
			}
		}
	}
	return short, long
}

// TestShortNameCollisions: with names of 1 byte, blobs of one push and
// of the target collide; each is uploaded once (under its long name when
// its short one holds another blob), every snapshot restores byte for
// byte, verify --read-data finds nothing, and so after a prune; a push
// without a cache confirms short names by reading the packs, one with a
// cache without reading them.
func TestShortNameCollisions(t *testing.T) {
	shortNames(t, 1)
	ctx := context.Background()
	dir := t.TempDir()
	cache := t.TempDir()
	packReads := &packCounter{Backend: &fileBackend{dir: dir}}
	open := func(cacheDir string) *Repo {
		o := testOptions("a")
		o.CacheDir = cacheDir
		r, err := OpenOrInit(ctx, packReads, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	check := func(step string, r *Repo, snaps ...*memSnap) {
		t.Helper()
		got := restoreAll(t, r)
		if len(got) != len(snaps) {
			t.Fatalf("%s: %d snapshots restored, want %d", step, len(got), len(snaps))
		}
		for _, s := range snaps {
			if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
				t.Errorf("%s: snapshot %s restores other objects", step, s.id)
			}
		}
		if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
			t.Errorf("%s: verify = %+v, %v", step, v.Problems, err)
		}
	}
	src := &memSource{snaps: []*memSnap{day("d1", 1, 300, 0)}}
	r := open(cache)
	rep, err := r.Push(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blobs != 301 {
		t.Errorf("first push uploaded %d objects, want 301", rep.Blobs)
	}
	short, long := indexNames(t, r)
	if short == 0 || long == 0 || short > 256 {
		t.Fatalf("%d short and %d long names: want both (at most 256 short ones)", short, long)
	}
	check("first push", r, src.snaps...)

	// 200 new objects (a full tree), pushed without a cache: the short
	// names they meet on the target are confirmed by reading its packs.
	src.snaps = append(src.snaps, day("d2", 2, 300, 200))
	cold := open("")
	readBefore := packReads.n.Load()
	if rep, err = cold.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if rep.Blobs != 200 {
		t.Errorf("second push uploaded %d objects, want 200", rep.Blobs)
	}
	if packReads.n.Load() == readBefore {
		t.Error("a push without a cache confirmed short names without reading a pack")
	}
	check("cold push", r, src.snaps...)

	// The same objects in another workspace: a full tree, every object
	// deduplicated (under whichever name the target holds it), with the
	// cache's ids: no pack is read.
	other := renamed(src.snaps[1], "d2-other", "other-ws")
	src.snaps = append(src.snaps, other)
	warm := open(cache)
	// The cache knows the first push's packs; the cold push's packs are
	// read once, and their ids cached.
	if rep, err = warm.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if rep.Blobs != 0 {
		t.Errorf("a full tree of objects the target holds uploaded %d of them", rep.Blobs)
	}
	check("full tree push", r, src.snaps...)
	src.snaps = append(src.snaps, renamed(src.snaps[1], "d2-third", "third-ws"))
	readBefore = packReads.n.Load()
	if rep, err = warm.Push(ctx, src); err != nil || rep.Blobs != 0 {
		t.Fatalf("push = %+v, %v", rep, err)
	}
	if n := packReads.n.Load() - readBefore; n != 0 {
		t.Errorf("a push with the ids cached read %d packs", n)
	}

	// Forget the first day and prune: repacked blobs keep their names.
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id != "d1" }); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	// (At 1 byte nearly every name is used, and prune keeps every blob
	// under a used short name: what it frees is tested at full length.)
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	check("after forget and prune", r, src.snaps[1:]...)
}

// packCounter counts the packs read from a Backend.
type packCounter struct {
	Backend
	n     atomic.Int64
	mu    sync.Mutex
	names []string
}

func (c *packCounter) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "data/") {
		c.n.Add(1)
		c.mu.Lock()
		c.names = append(c.names, name)
		c.mu.Unlock()
	}
	return c.Backend.Get(ctx, name)
}

// dataPacksRead returns how many of the packs read since the names'
// first from hold data blobs.
func (c *packCounter) dataPacksRead(t *testing.T, r *Repo, from int) int {
	t.Helper()
	idx, err := r.loadIndex(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, name := range c.names[from:] {
		id, err := ParseID(strings.TrimPrefix(name, "data/"))
		if err != nil {
			t.Fatal(err)
		}
		if bs := idx.packs[id]; len(bs) > 0 && bs[0].Type == DataBlob {
			n++
		}
	}
	return n
}

// TestRestoreSeedsIDs: a restore with a cache records the ids of the
// objects it read, so that a push from that machine (a rebuilt one)
// confirms the short names it meets without reading a data pack, where
// one without a cache reads them.
func TestRestoreSeedsIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pc := &packCounter{Backend: &fileBackend{dir: dir}}
	openWith := func(cache string) *Repo {
		o := testOptions("a")
		o.CacheDir = cache
		r, err := OpenOrInit(ctx, pc, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	s1 := day("s1", 1, 300, 0)
	if _, err := openWith(t.TempDir()).Push(ctx, &memSource{snaps: []*memSnap{s1}}); err != nil {
		t.Fatal(err)
	}
	// The same objects in another workspace: a full tree that names
	// every object the target holds.
	src := &memSource{snaps: []*memSnap{s1, renamed(s1, "s2", "other-ws")}}
	try := func(r *Repo) int {
		t.Helper()
		from := len(pc.names)
		rep, err := r.Push(ctx, src)
		if err != nil || rep.Blobs != 0 {
			t.Fatalf("push = %+v, %v", rep, err)
		}
		n := pc.dataPacksRead(t, r, from)
		// undo: the next try pushes s2 again
		snaps, _ := r.Snapshots(ctx)
		for _, s := range snaps {
			if s.LocalID == "s2" {
				if err := pc.Delete(ctx, "snapshots/"+s.Object.String()); err != nil {
					t.Fatal(err)
				}
			}
		}
		return n
	}
	if n := try(openWith("")); n == 0 {
		t.Error("a push without a cache confirmed short names without reading a data pack")
	}
	seeded := t.TempDir()
	restoreAll(t, openWith(seeded))
	if n := try(openWith(seeded)); n != 0 {
		t.Errorf("a push with the ids a restore cached read %d data packs", n)
	}
}

// TestShortNameTwice: two pushes at once that both find a short name free
// and upload different blobs under it (made here by pushing to two copies
// of one target and merging them) leave the name ambiguous: verify
// --read-data reports it, and prune keeps both blobs.
func TestShortNameTwice(t *testing.T) {
	shortNames(t, 1)
	ctx := context.Background()
	dir, dir2 := t.TempDir(), t.TempDir()
	ra := newFileRepo(t, dir, "a")
	if _, err := ra.Push(ctx, &memSource{snaps: []*memSnap{day("a1", 1, 1, 0)}}); err != nil {
		t.Fatal(err)
	}
	copyTree(t, dir, dir2)
	// Two objects whose ids share their first byte, one per target.
	var x, y []byte
	seen := map[byte][]byte{}
	for i := 0; x == nil; i++ {
		v := []byte(`{"n":` + strings.Repeat("1", i%7+1) + `,"i":"` + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + `"}`)
		h := sha256.Sum256(v)
		if h[0] == 0 {
			continue
		}
		if o, ok := seen[h[0]]; ok && string(o) != string(v) {
			x, y = o, v
		}
		seen[h[0]] = v
	}
	snap := func(id string, v []byte) *memSnap {
		s := day(id, 2, 1, 0)
		s.colls["items/clients-slug"]["0"] = v
		return s
	}
	sa, sb := snap("a2", x), snap("b2", y)
	if _, err := ra.Push(ctx, &memSource{snaps: []*memSnap{sa}}); err != nil {
		t.Fatal(err)
	}
	rb := newFileRepo(t, dir2, "b")
	if _, err := rb.Push(ctx, &memSource{snaps: []*memSnap{sb}}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"data", "index", "snapshots"} {
		copyTree(t, filepath.Join(dir2, sub), filepath.Join(dir, sub))
	}
	v, err := ra.Verify(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range v.Problems {
		found = found || strings.Contains(p.Message, "names two different objects")
	}
	if !found {
		t.Errorf("verify --read-data = %+v: the ambiguous name is not reported", v.Problems)
	}
	ra.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := ra.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	ra.opts.Now = time.Now
	short := 0
	idx, err := ra.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, blobs := range idx.packs {
		for _, b := range blobs {
			if b.Type == DataBlob && b.Ref == shortName(sha256.Sum256(x)) {
				short++
			}
		}
	}
	if short != 2 {
		t.Errorf("after prune %d blobs under the ambiguous name, want 2", short)
	}
}

// TestChunkFormat4: leaves and deltas write a short name in nameLen bytes
// and a long one in 16, and read both back as the same Refs; leaves and
// deltas of formats 1 to 3 still decode.
func TestChunkFormat4(t *testing.T) {
	id := ID(sha256.Sum256([]byte("x")))
	short, long := shortName(id), id.Ref()
	leaf := []Entry{{Key: "k1", Ref: short}, {Key: "k2", Ref: long}, {Key: "k3", Ref: short}}
	b := encodeLeaf(leaf)
	if b[0] != leafFormat4 || b[1] != byte(nameLen) {
		t.Fatalf("leaf header % x", b[:2])
	}
	if want := 2 + 1 + (1 + 1 + 2) + 2*(1+1+1) + 2*nameLen + len(Ref{}); len(b) != want {
		t.Errorf("leaf of 3 entries: %d bytes, want %d", len(b), want)
	}
	c, err := decodeChunk(b)
	if err != nil || !reflect.DeepEqual(c.leaf, leaf) {
		t.Errorf("leaf: %+v, %v", c.leaf, err)
	}
	d := Delta{Base: Ref{7}, Changes: []Change{{Key: "a", Ref: short}, {Key: "b", Removed: true}, {Key: "c", Ref: long}}}
	c, err = decodeChunk(encodeDelta(d))
	if err != nil || !reflect.DeepEqual(*c.delta, d) {
		t.Errorf("delta: %+v, %v", c.delta, err)
	}
	for _, n := range []byte{0, maxNameLen + 1} {
		bad := append([]byte(nil), b...)
		bad[1] = n
		if _, err := decodeChunk(bad); err == nil {
			t.Errorf("a leaf of name length %d decodes", n)
		}
	}
	for n := 1; n < len(b); n++ {
		if _, err := decodeChunk(b[:n]); err == nil {
			t.Errorf("leaf truncated to %d of %d bytes decodes", n, len(b))
		}
	}
	// Format 1 to 3 leaves and deltas: 16-byte refs, read as long names.
	old := []byte{leafFormat, 1, 0, 1, 'k'}
	old = append(old, long[:]...)
	if c, err := decodeChunk(old); err != nil || c.leaf[0].Ref != long {
		t.Errorf("format-1 leaf: %+v, %v", c, err)
	}
	oldDelta := append([]byte{deltaFormat}, Ref{7}.slice()...)
	oldDelta = append(oldDelta, 1, 0, 1, 'a', 1)
	oldDelta = append(oldDelta, long[:]...)
	if c, err := decodeChunk(oldDelta); err != nil || c.delta.Changes[0].Ref != long {
		t.Errorf("format-2 delta: %+v, %v", c, err)
	}
	// A blob is named by its long name and its short ones, and no other.
	for _, n := range []int{1, 4, 8} {
		var r Ref
		copy(r[:n], id[:])
		if !id.named(r) {
			t.Errorf("the short name of %d bytes does not name its blob", n)
		}
		r[0]++
		if id.named(r) {
			t.Errorf("another short name of %d bytes names the blob", n)
		}
	}
	if !id.named(long) || id.named(Ref{}) {
		t.Error("long name, or zero")
	}
}

func (r Ref) slice() []byte { return r[:] }

// TestConfirmUnreadablePack: a pack that cannot be read confirms no
// short name: it is read once, the objects it held are uploaded again
// under their long names, and the new snapshot restores.
func TestConfirmUnreadablePack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pc := &packCounter{Backend: &fileBackend{dir: dir}}
	r, err := OpenOrInit(ctx, pc, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	s1 := day("s1", 1, 300, 0)
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{s1}}); err != nil {
		t.Fatal(err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var bad ID
	for p, bs := range idx.packs {
		if bs[0].Type == DataBlob {
			bad = p
		}
	}
	// Damage it in place: its name no longer matches its bytes.
	if err := os.WriteFile(filepath.Join(dir, "data", bad.String()), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := renamed(s1, "s2", "other-ws")
	from := len(pc.names)
	rep, err := r.Push(ctx, &memSource{snaps: []*memSnap{s1, s2}})
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, n := range pc.names[from:] {
		if n == "data/"+bad.String() {
			reads++
		}
	}
	if reads != 1 || rep.Blobs != 301 {
		t.Errorf("the damaged pack read %d times, %d objects uploaded: want once, 301", reads, rep.Blobs)
	}
	short, long := indexNames(t, r)
	if long != 301 || short != 301 {
		t.Errorf("%d short and %d long names, want 301 of each", short, long)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		if s.LocalID != "s2" {
			continue
		}
		rs, err := r.NewRestorer(ctx, []*Snapshot{s}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]map[string]string{}
		err = rs.Objects(ctx, s, func(c, k string, raw []byte) error {
			if got[c] == nil {
				got[c] = map[string]string{}
			}
			got[c][k] = string(raw)
			return nil
		})
		rs.Close()
		if err != nil || !reflect.DeepEqual(got, want(s2)) {
			t.Errorf("s2 restores other objects (%v)", err)
		}
	}
}
