package offsite

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestFormat3ObjectsDeduplicated: the objects of a format-3 target, pushed again
// as a full tree in another workspace by another daemon with an empty
// cache, are all deduplicated under their 16-byte names (no pack read to
// confirm), and restore.
func TestFormat3ObjectsDeduplicated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "format3"), dir)
	packReads := &packCounter{Backend: &fileBackend{dir: dir}}
	o := testOptions("other")
	o.CacheDir = t.TempDir()
	r, err := OpenOrInit(ctx, packReads, o)
	if err != nil {
		t.Fatal(err)
	}
	f3 := format3Snaps()
	other := renamed(f3.snaps[1], "again", "other-ws")
	before := packReads.n.Load()
	rep, err := r.Push(ctx, &memSource{snaps: []*memSnap{other}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blobs != 0 {
		t.Errorf("format-3 objects uploaded again: %d", rep.Blobs)
	}
	t.Logf("data packs read: %d", packReads.n.Load()-before)
	short, long := indexNames(t, r)
	t.Logf("short %d long %d", short, long)
	got := restoreAll(t, r)
	if !reflect.DeepEqual(got["other/again"], want(other)) {
		t.Error("restores other objects")
	}
}

// TestTamperedIDsCacheIgnored: a flipped byte in ids/<pack> is ignored:
// the pack is read to confirm, and nothing wrong is deduplicated.
func TestTamperedIDsCacheIgnored(t *testing.T) {
	shortNames(t, 1)
	ctx := context.Background()
	dir, cache := t.TempDir(), t.TempDir()
	packReads := &packCounter{Backend: &fileBackend{dir: dir}}
	o := testOptions("a")
	o.CacheDir = cache
	r, err := OpenOrInit(ctx, packReads, o)
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{day("d1", 1, 300, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "ids", "*"))
	if len(files) == 0 {
		t.Fatal("no ids cached")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		b[len(b)/2] ^= 1
		os.WriteFile(f, b, 0o600)
	}
	src.snaps = append(src.snaps, renamed(src.snaps[0], "d1b", "ws2"), day("d2", 2, 300, 300))
	before := packReads.n.Load()
	rep, err := r.Push(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if packReads.n.Load() == before {
		t.Error("tampered cache trusted: no pack read")
	}
	t.Logf("%+v", rep)
	got := restoreAll(t, r)
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
			t.Errorf("snapshot %s restores other objects", s.id)
		}
	}
}

// TestNameLengthBounds: leaves, deltas and index files with a name
// length of 0 or more than 8 are corrupt.
func TestNameLengthBounds(t *testing.T) {
	leaf := encodeLeaf([]Entry{{Key: "k", Ref: shortName(ID{1, 2, 3, 4, 5, 6, 7, 8, 9})}})
	delta := encodeDelta(Delta{Base: Ref{9}, Changes: []Change{{Key: "k", Ref: shortName(ID{1, 2, 3, 4, 5, 6, 7, 8, 9})}}})
	idx := encodeIndex([]IndexPack{{Pack: ID{7}, Blobs: []PackedBlob{{Type: DataBlob, Ref: shortName(ID{1, 2, 3, 4, 5, 6, 7, 8, 9}), Offset: 5, Length: 10}}}})
	for _, n := range []byte{0, 9, 16, 17, 255} {
		for name, b := range map[string][]byte{"leaf": leaf, "delta": delta} {
			c := append([]byte(nil), b...)
			c[1] = n
			if _, err := decodeChunk(c); err == nil {
				t.Errorf("%s with name length %d decodes", name, n)
			}
		}
		c := append([]byte(nil), idx...)
		c[len(indexMagic)] = n
		if _, err := decodeIndex(c); err == nil {
			t.Errorf("index with name length %d decodes", n)
		}
	}
	// and they round-trip
	if ch, err := decodeChunk(leaf); err != nil || ch.leaf[0].Ref != shortName(ID{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("leaf: %+v %v", ch, err)
	}
	long := (ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}).Ref()
	if ch, err := decodeChunk(encodeLeaf([]Entry{{Key: "k", Ref: long}})); err != nil || ch.leaf[0].Ref != long {
		t.Errorf("long leaf: %+v %v", ch, err)
	}
}
