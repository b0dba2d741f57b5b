package snapshot

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestManyPacksRead: with small packs and a small pack cache, a snapshot
// spread over hundreds of packs reads back exactly, object by object and
// collection-wide, from several goroutines at once (the cache evicting
// all along), and verifies with the data read.
func TestManyPacksRead(t *testing.T) {
	defer func(p, c int) { packTarget, packCacheBytes = p, c }(packTarget, packCacheBytes)
	packTarget, packCacheBytes = 2<<10, 16<<10
	db := openTest(t)
	const n = 1500
	s := snapshotOf(t, db, "acme", n, same)
	if p := count(t, db, bucketPacks); p < 100 {
		t.Fatalf("%d packs, want hundreds", p)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			seen := 0
			err := db.WalkObjects(s, "items/contracts", func(k string, raw []byte) error {
				seen++
				if want := item(seen, 0); k != fmt.Sprint(seen) || !bytes.Equal(raw, want) {
					return fmt.Errorf("key %s: %q", k, raw)
				}
				return nil
			})
			if err != nil || seen != n {
				t.Errorf("walk: %d objects, %v", seen, err)
			}
			for id := 1 + g; id <= n; id += 97 {
				raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(id))
				if err != nil || !ok || !bytes.Equal(raw, item(id, 0)) {
					t.Errorf("lookup %d: %q %v %v", id, raw, ok, err)
				}
				h, _ := ContentHash(item(id, 0))
				if raw, err := db.Blob(h); err != nil || !bytes.Equal(raw, item(id, 0)) {
					t.Errorf("blob of %d: %q %v", id, raw, err)
				}
			}
		})
	}
	wg.Wait()
	if db.packs.size > packCacheBytes {
		t.Errorf("pack cache holds %d bytes, bound %d", db.packs.size, packCacheBytes)
	}
}

// FuzzDecodePack: a pack record read from a damaged file never panics a
// reader: it decodes or is ErrCorrupt, and what decodes unpacks or is
// ErrCorrupt.
func FuzzDecodePack(f *testing.F) {
	var raw []byte
	var hashes []Hash
	var lens []int
	for i := range 3 {
		b := item(i, 0)
		h, _ := ContentHash(b)
		raw, hashes, lens = append(raw, b...), append(hashes, h), append(lens, len(b))
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodePack([]uint64{1, 2, 5}, hashes, lens, frame))
	f.Add([]byte{packFormat, 0, 0, 0, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		p, err := decodePack(rec)
		if err != nil {
			return
		}
		for i := range p.ids {
			_ = p.hash(i)
			if p.find(p.ids[i]) != i {
				t.Fatalf("find(%d) != %d", p.ids[i], i)
			}
		}
		_, _ = p.unpack()
		_ = checkPack(rec)
	})
}

// TestLargeBlobPackedAlone: an object larger than a pack gets a pack of
// its own, so no pack decompresses to more than the largest object; the
// objects around it share packs and everything reads back.
func TestLargeBlobPackedAlone(t *testing.T) {
	db := openTest(t)
	big := []byte(fmt.Sprintf(`{"id":2,"notes":%q}`, bytes.Repeat([]byte("abcdefgh"), packTarget/4)))
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	objs := [][]byte{item(1, 0), big, item(3, 0)}
	for i, o := range objs {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if p := count(t, db, bucketPacks); p != 3 {
		t.Errorf("%d packs, want 3: before, the large object alone, after", p)
	}
	for i, o := range objs {
		raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(i+1))
		if err != nil || !ok || !bytes.Equal(raw, o) {
			t.Errorf("object %d: %d bytes, %v %v", i+1, len(raw), ok, err)
		}
	}
}
