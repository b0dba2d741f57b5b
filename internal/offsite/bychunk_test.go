package offsite

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// encodeIndexV2 writes a format-2 index file, as the builds before
// format 3 did.
func encodeIndexV2(packs []IndexPack) []byte {
	b := append([]byte(nil), indexMagicV2...)
	b = binary.AppendUvarint(b, uint64(len(packs)))
	for _, p := range packs {
		b = append(b, p.Pack[:]...)
		b = binary.AppendUvarint(b, uint64(len(p.Blobs)))
		for _, x := range p.Blobs {
			b = append(b, byte(x.Type))
		}
		end := uint32(0)
		for _, x := range p.Blobs {
			b = binary.AppendUvarint(b, uint64(x.Offset-end))
			end = x.Offset + x.Length
		}
		for _, x := range p.Blobs {
			b = binary.AppendUvarint(b, uint64(x.Length))
		}
		for _, x := range p.Blobs {
			b = append(b, x.Ref[:]...)
		}
	}
	return b
}

func testIndexPacks() []IndexPack {
	blobs := []PackedBlob{
		{Type: DataBlob, Ref: Ref{1}, Offset: 7, Length: 10},
		{Type: DataBlob, Ref: Ref{2}, Offset: 19, Length: 3},
		{Type: TreeBlob, Ref: Ref{3}, Offset: 24, Length: 40},
		{Type: DataBlob, Ref: Ref{4}, Offset: 66, Length: 5},
		{Type: DataBlob, Ref: Ref{5}, Offset: 73, Length: 5},
		{Type: DataBlob, Ref: Ref{6}, Offset: 80, Length: 5},
	}
	from := []ChunkPos{
		{Chunk: Ref{9}, Entry: 0, OK: true},
		{}, // explicit
		{},
		{Chunk: Ref{9}, Entry: 1, OK: true},
		{Chunk: Ref{8}, Entry: 30, OK: true},
		{Chunk: Ref{9}, Entry: 0, OK: true}, // back to an earlier entry
	}
	return []IndexPack{{Pack: ID{7}, Blobs: blobs, From: from}, {Pack: ID{8}, Blobs: append([]PackedBlob(nil), blobs[:3]...)}}
}

// TestIndexV4: format 4 writes a data blob's short name in nameLen bytes
// and a long one in 16 (flagged by its type), tree chunks' refs in 16,
// and reads them back as the same Refs; a decoder refuses a name length
// out of range.
func TestIndexV4(t *testing.T) {
	long := Ref{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	packs := testIndexPacks()
	packs[0].Blobs[1].Ref = long // explicit, long
	packs[1].Blobs[0].Ref = long
	b := encodeIndex(packs)
	if !bytes.HasPrefix(b, indexMagic) || b[len(indexMagic)] != byte(nameLen) {
		t.Fatalf("header %q", b[:6])
	}
	got, err := decodeIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	want := testIndexPacks()
	want[0].Blobs[1].Ref, want[1].Blobs[0].Ref = long, long
	for i, f := range want[0].From {
		if f.OK {
			want[0].Blobs[i].Ref = Ref{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	// Short explicit names cost nameLen bytes, long ones 16.
	short := testIndexPacks()
	short[0].From = nil
	if d := len(encodeIndexAs(short, 3)) - len(encodeIndex(short)); d != 7*(len(Ref{})-nameLen)-1 {
		t.Errorf("format 4 saves %d bytes on 7 short names", d)
	}
	for n := len(indexMagic); n < len(b); n++ {
		if _, err := decodeIndex(b[:n]); err == nil {
			t.Errorf("index truncated to %d of %d bytes decodes", n, len(b))
		}
	}
	for _, n := range []byte{0, maxNameLen + 1} {
		bad := append([]byte(nil), b...)
		bad[len(indexMagic)] = n
		if _, err := decodeIndex(bad); err == nil {
			t.Errorf("name length %d decodes", n)
		}
	}
}

// TestIndexV3: format 3 keeps each blob's place and explicit ref and
// each by-chunk entry's chunk and entry (the ref left for resolve), and
// costs no ref for an entry given by chunk; format 2 is still read.
func TestIndexV3(t *testing.T) {
	encodeIndex := func(packs []IndexPack) []byte { return encodeIndexAs(packs, 3) }
	packs := testIndexPacks()
	b := encodeIndex(packs)
	got, err := decodeIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	want := testIndexPacks()
	for i, f := range want[0].From {
		if f.OK {
			want[0].Blobs[i].Ref = Ref{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	explicit := testIndexPacks()
	explicit[0].From = nil
	if d := len(encodeIndex(explicit)) - len(b); d < 4*len(Ref{})-2*len(Ref{})-4*2 {
		t.Errorf("4 entries by chunk (2 chunks in the table) save %d bytes", d)
	}
	v2, err := decodeIndex(encodeIndexV2(explicit))
	if err != nil || !reflect.DeepEqual(v2, explicit) {
		t.Errorf("format 2: %+v, %v", v2, err)
	}
	// A tree chunk's entry is always explicit (no cycles).
	bad := testIndexPacks()
	bad[0].From[2] = ChunkPos{Chunk: Ref{9}, OK: true}
	if _, err := decodeIndex(encodeIndex(bad)); err == nil {
		t.Error("a tree chunk given by chunk decodes")
	}
	// Truncations never decode.
	for n := len(indexMagic); n < len(b); n++ {
		if _, err := decodeIndex(b[:n]); err == nil {
			t.Errorf("index truncated to %d of %d bytes decodes", n, len(b))
		}
	}
}

// byChunkEntries counts the index entries of r's target given by chunk,
// and all data entries.
func byChunkEntries(t *testing.T, r *Repo) (by, data int) {
	t.Helper()
	ctx := context.Background()
	_, files, err := r.listIDs(ctx, "index/")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		packs, err := r.readIndex(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range packs {
			for i, b := range p.Blobs {
				if b.Type == DataBlob {
					data++
				}
				if p.byChunk(i) {
					by++
				}
			}
		}
	}
	return by, data
}

// TestByChunkPush: a push gives the objects of a full tree's leaves and
// of a delta by chunk, each object's ref stored once, and what it wrote
// restores, verifies and deduplicates the next push.
func TestByChunkPush(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{snaps: []*memSnap{chainDay(1)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	by, data := byChunkEntries(t, r)
	if by < 150 {
		t.Errorf("first push: %d of %d objects given by chunk", by, data)
	}
	src.snaps = append(src.snaps, chainDay(2))
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	by2, data2 := byChunkEntries(t, r)
	if data2-data == 0 || by2-by != data2-data {
		t.Errorf("delta push: %d new objects, %d of them by chunk", data2-data, by2-by)
	}
	if s, _ := r.Snapshots(ctx); s[1].Collections["items/clients-slug"].Depth != 1 {
		t.Fatal("the second push is no delta")
	}
	got := restoreAll(t, r)
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
			t.Errorf("%s restores other objects", s.id)
		}
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v.Problems, err)
	}
	// The target's index, resolved, lists every object: pushing the same
	// snapshots under another name uploads no object again.
	r2 := newFileRepo(t, r.b.(*fileBackend).dir, "b")
	rep, err := r2.Push(ctx, src)
	if err != nil || rep.Blobs != 0 {
		t.Errorf("a second daemon's push of the same objects uploads %d of them: %v", rep.Blobs, err)
	}
}

// countPackGets counts the packs read from a target.
type countPackGets struct {
	Backend
	packs atomic.Int64
}

func (c *countPackGets) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "data/") {
		c.packs.Add(1)
	}
	return c.Backend.Get(ctx, name)
}

// TestByChunkCache: a push with the cache of the one before reads no
// pack (the entries of the chunks it needs are cached); with an empty
// cache it reads the tree packs.
func TestByChunkCache(t *testing.T) {
	ctx := context.Background()
	dir, cache := t.TempDir(), t.TempDir()
	open := func(cacheDir string) (*Repo, *countPackGets) {
		b := &countPackGets{Backend: &fileBackend{dir: dir}}
		opts := testOptions("a")
		opts.CacheDir = cacheDir
		r, err := OpenOrInit(ctx, b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r, b
	}
	src := &memSource{}
	for d := 1; d <= 3; d++ {
		src.snaps = append(src.snaps, chainDay(d))
		r, b := open(cache)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
		if n := b.packs.Load(); d > 1 && n != 0 {
			t.Errorf("push %d with a warm cache read %d packs", d, n)
		}
	}
	src.snaps = append(src.snaps, chainDay(4))
	r, b := open(t.TempDir())
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Pushed) != 1 || rep.Blobs == 0 {
		t.Fatalf("cold push = %+v, %v", rep, err)
	}
	if b.packs.Load() == 0 {
		t.Error("a push with an empty cache read no tree pack")
	}
}

// rewriteIndex replaces every index file of r's target by one whose
// packs change (for damage tests).
func rewriteIndex(t *testing.T, r *Repo, change func([]IndexPack)) {
	t.Helper()
	ctx := context.Background()
	_, files, err := r.listIDs(ctx, "index/")
	if err != nil {
		t.Fatal(err)
	}
	var all []IndexPack
	for _, f := range files {
		packs, err := r.readIndex(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, packs...)
		if err := r.b.Delete(ctx, "index/"+f.String()); err != nil {
			t.Fatal(err)
		}
	}
	change(all)
	if _, err := r.writeIndex(ctx, all); err != nil {
		t.Fatal(err)
	}
}

// TestByChunkDamage: an entry given by chunk whose chunk is in no index,
// a node, lacks the entry, or whose entry is a removal, or names another
// object, is damage verify reports (and push and restore survive).
func TestByChunkDamage(t *testing.T) {
	ctx := context.Background()
	type target struct {
		leaf, node, delta Ref
		removal           uint32
	}
	cases := []struct {
		name    string
		change  func(tg target, f *ChunkPos)
		message string
	}{
		{"missing chunk", func(tg target, f *ChunkPos) { f.Chunk = Ref{0xee} }, "in no index"},
		{"node", func(tg target, f *ChunkPos) { f.Chunk, f.Entry = tg.node, 0 }, "names no object"},
		{"out of range", func(tg target, f *ChunkPos) { f.Entry = 1000 }, "names no object"},
		{"removal", func(tg target, f *ChunkPos) { f.Chunk, f.Entry = tg.delta, tg.removal }, "names no object"},
		{"other object", func(tg target, f *ChunkPos) { f.Entry ^= 1 }, "does not hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newFileRepo(t, t.TempDir(), "a")
			src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
			if _, err := r.Push(ctx, src); err != nil {
				t.Fatal(err)
			}
			idx, err := r.loadIndex(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			var tg target
			snaps, _ := r.Snapshots(ctx)
			tg.delta = snaps[1].Collections["items/clients-slug"].Root.Ref()
			tr := newTrees(r, idx)
			root, err := tr.chunk(ctx, snaps[0].Collections["items/clients-slug"].Root.Ref())
			if err != nil || len(root.children) == 0 {
				t.Fatalf("root: %+v, %v", root, err)
			}
			tg.node = snaps[0].Collections["items/clients-slug"].Root.Ref()
			d, err := tr.chunk(ctx, tg.delta)
			if err != nil || d.delta == nil {
				t.Fatalf("delta: %v", err)
			}
			for i, ch := range d.delta.Changes {
				if ch.Removed {
					tg.removal = uint32(i)
				}
			}
			done := false
			rewriteIndex(t, r, func(packs []IndexPack) {
				for _, p := range packs {
					for i := range p.Blobs {
						if !done && p.byChunk(i) && p.From[i].Entry < 4 && p.From[i].Chunk != tg.delta {
							c.change(tg, &p.From[i])
							done = true
						}
					}
				}
			})
			if !done {
				t.Fatal("no entry by chunk")
			}
			v, err := r.Verify(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range v.Problems {
				found = found || strings.Contains(p.Message, c.message)
			}
			if !found {
				t.Errorf("verify = %+v, want a problem saying %q", v.Problems, c.message)
			}
			// Push and restore go on: push uploads the object again.
			src.snaps = append(src.snaps, chainDay(3))
			if _, err := r.Push(ctx, src); err != nil {
				t.Errorf("push: %v", err)
			}
		})
	}
}

// TestByChunkPrune: prune drops the snapshots whose delta named an
// object that a later full tree still names: that object's entry becomes
// explicit, entries whose chunk stays stay by chunk, and everything
// restores and verifies.
func TestByChunkPrune(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	d1 := day("p1", 1, 1200, 0)
	d2 := day("p2", 2, 1200, 3) // a delta: items 0-2 get new objects
	d3 := day("p3", 3, 1200, 0) // a full tree: most items change, 0-2 keep d2's
	for k, v := range d2.colls["items/clients-slug"] {
		d3.colls["items/clients-slug"][k] = append([]byte(nil), v...)
	}
	for i := 3; i < 700; i++ {
		d3.colls["items/clients-slug"][fmt.Sprint(i)] = []byte(fmt.Sprintf(`{"id":%d,"day":3}`, i))
	}
	src := &memSource{snaps: []*memSnap{d1, d2, d3}}
	for i := range src.snaps {
		if _, err := r.Push(ctx, &memSource{snaps: src.snaps[:i+1]}); err != nil {
			t.Fatal(err)
		}
	}
	snaps, _ := r.Snapshots(ctx)
	if snaps[1].Collections["items/clients-slug"].Depth != 1 || snaps[2].Collections["items/clients-slug"].Depth != 0 {
		t.Fatal("want a delta, then a full tree")
	}
	delta := snaps[1].Collections["items/clients-slug"].Root.Ref()
	named := map[Ref]bool{} // objects the delta names by chunk
	_, files, _ := r.listIDs(ctx, "index/")
	for _, f := range files {
		packs, _ := r.readIndex(ctx, f)
		for _, p := range packs {
			for i := range p.Blobs {
				if p.byChunk(i) && p.From[i].Chunk == delta {
					named[p.From[i].Chunk] = true
				}
			}
		}
	}
	if len(named) == 0 {
		t.Fatal("the delta names no object by chunk")
	}
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id == "p3" }); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	rep, err := r.Prune(ctx)
	r.opts.Now = time.Now
	if err != nil || rep.Deleted+rep.Repacked == 0 {
		t.Fatalf("prune = %+v, %v", rep, err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if loc, ok := idx.lookup(delta); ok {
		t.Fatalf("the delta is still indexed, in data/%s", loc.pack.Short())
	}
	by := 0
	for pack, from := range idx.from {
		for i, f := range from {
			if f.OK {
				by++
				if f.Chunk == delta {
					t.Errorf("blob %d of data/%s still takes its ref from the pruned delta", i, pack.Short())
				}
			}
		}
	}
	if by < 100 {
		t.Errorf("after prune %d entries by chunk", by)
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify after prune = %+v, %v", v.Problems, err)
	}
	got := restoreAll(t, r)
	if !reflect.DeepEqual(got["a/p3"], want(d3)) {
		t.Error("p3 restores other objects after prune")
	}
	// The index file itself is format 3.
	_, files, _ = r.listIDs(ctx, "index/")
	for _, f := range files {
		b, _ := r.getSealed(ctx, "index/", f, kindIndex)
		plain, _ := decompress(b, maxIndex)
		if !bytes.HasPrefix(plain, indexMagic) {
			t.Errorf("index/%s is not format 3", f.Short())
		}
	}
}

// TestKeepSources: prune's new index gives a kept blob by the chunk it
// had, also when the blob was repacked into a new pack, as long as the
// chunk stays; a blob whose chunk goes is explicit.
func TestKeepSources(t *testing.T) {
	idx := newIndex()
	chunkA, chunkB := Ref{0xa}, Ref{0xb}
	old := IndexPack{Pack: ID{1}, Blobs: []PackedBlob{
		{Type: DataBlob, Ref: Ref{1}, Offset: 7, Length: 3},
		{Type: DataBlob, Ref: Ref{2}, Offset: 12, Length: 3},
		{Type: DataBlob, Ref: Ref{3}, Offset: 17, Length: 3},
	}, From: []ChunkPos{{Chunk: chunkA, Entry: 0, OK: true}, {Chunk: chunkB, Entry: 4, OK: true}, {}}}
	idx.add(ID{9}, []IndexPack{old})
	keep := []IndexPack{
		{Pack: ID{1}, Blobs: old.Blobs},                                                          // kept as it is
		{Pack: ID{2}, Blobs: []PackedBlob{old.Blobs[1]}},                                         // repacked
		{Pack: ID{3}, Blobs: []PackedBlob{{Type: TreeBlob, Ref: chunkB, Offset: 7, Length: 40}}}, // chunk B stays, A goes
	}
	keepSources(idx, keep)
	want0 := []ChunkPos{{}, {Chunk: chunkB, Entry: 4, OK: true}, {}}
	if !reflect.DeepEqual(keep[0].From, want0) {
		t.Errorf("kept pack: sources %+v, want %+v", keep[0].From, want0)
	}
	if want := []ChunkPos{{Chunk: chunkB, Entry: 4, OK: true}}; !reflect.DeepEqual(keep[1].From, want) {
		t.Errorf("repacked: sources %+v, want %+v", keep[1].From, want)
	}
	if keep[2].From != nil {
		t.Errorf("tree pack: sources %+v", keep[2].From)
	}
}

// TestByChunkManyPacks: a full tree over many packs (an index file every
// indexEvery packs, with the tree pack built so far) gives nearly every
// object by chunk, and restores and verifies.
func TestByChunkManyPacks(t *testing.T) {
	ctx := context.Background()
	opts := testOptions("a")
	opts.PackSize = 2 << 10
	r, err := OpenOrInit(ctx, &fileBackend{dir: t.TempDir()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{day("m1", 1, 2000, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	_, files, _ := r.listIDs(ctx, "index/")
	by, data := byChunkEntries(t, r)
	if len(files) < 3 || by < data*95/100 {
		t.Errorf("%d index files, %d of %d objects by chunk", len(files), by, data)
	}
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/m1"], want(src.snaps[0])) {
		t.Error("restores other objects")
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v.Problems, err)
	}
}
