package snapshot

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestPatchCache: Lookup decodes a patch once and shares it between
// calls and concurrent readers; the cache holds a few patches, and a
// record that differs under the same hash is decoded afresh.
func TestPatchCache(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	snapshotOf(t, db, "acme", n, same)
	rev := func(id int) int { return id % 100 / 99 }
	s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, rev)
	root := s2.Collections[coll].Root
	if !isPatch(rootRecord(t, db, s2, coll)) {
		t.Fatal("s2 is not a patch")
	}
	v1, err := db.loadView(root)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := db.loadView(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1.patch) != 20 || &v1.patch[0] != &v2.patch[0] {
		t.Errorf("two reads of the patch: %d entries, shared %v; want 20, shared", len(v1.patch), &v1.patch[0] == &v2.patch[0])
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := 1 + g; id <= n; id += 37 {
				raw, ok, err := db.Lookup(s2, coll, fmt.Sprint(id))
				if err != nil || !ok || string(raw) != string(item(id, rev(id))) {
					t.Errorf("item %d: %q %v %v", id, raw, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	// Other patches push the oldest out.
	for i := range patchCacheEntries + 2 {
		raw, err := encodePatch(Hash{byte(i)}, []patchEntry{{key: sortKey(fmt.Sprint(i)), id: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.patches.decode(Hash{1, byte(i)}, raw); err != nil {
			t.Fatal(err)
		}
	}
	if len(db.patches.ps) != patchCacheEntries {
		t.Errorf("%d patches kept, want %d", len(db.patches.ps), patchCacheEntries)
	}
	// A record that is not the one cached under its hash.
	h := Hash{1, byte(patchCacheEntries + 1)}
	raw, err := encodePatch(Hash{9}, []patchEntry{{key: sortKey("x"), id: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if base, ps, err := db.patches.decode(h, raw); err != nil || base != (Hash{9}) || len(ps) != 1 || ps[0].id != 5 {
		t.Errorf("another record under a cached hash: base %s, %v, %v", base.Short(), ps, err)
	}
	// A patch larger than its share is not kept.
	big := make([]patchEntry, 0, 30000)
	for i := range cap(big) {
		big = append(big, patchEntry{key: sortKey(fmt.Sprintf("%0200d", i)), id: uint64(i + 1)})
	}
	raw, err = encodePatch(Hash{7}, big)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.patches.decode(Hash{2}, raw); err != nil {
		t.Fatal(err)
	}
	for _, d := range db.patches.ps {
		if d.root == (Hash{2}) {
			t.Errorf("a patch of %d bytes decoded is kept", d.size)
		}
	}
}
