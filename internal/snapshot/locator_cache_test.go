package snapshot

import (
	"bytes"
	"testing"

	"go.etcd.io/bbolt"
)

// TestLocatorRawChecksCachedIndex: the decoded pack the cache holds for a
// pack's key and checksum is looked up by the blob's id, not trusted at
// the index of the record locate read: a cached pack whose blobs are in
// another order (another pack of the same key and checksum) never gives
// another blob's bytes.
func TestLocatorRawChecksCachedIndex(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 10, same)
	fileAll(t, db)
	h3, _ := ContentHash(item(3, 0))
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		id := lookupBlobID(tx, h3)
		cache := newPackCache()
		l := newLocator(tx).withCache(cache)
		at, err := l.locate(id)
		if err != nil || at.hashed || at.loose != nil {
			t.Fatalf("blob %d: %+v %v, want one of a pack of format 5", id, at, err)
		}
		raw, err := at.pack.unpack()
		if err != nil {
			t.Fatal(err)
		}
		// The same blobs, the first one moved last.
		v := *at.pack
		n := len(v.ids)
		var ids []uint64
		var lens []int
		var moved []byte
		for i := 1; i <= n; i++ {
			j := i % n
			ids, lens = append(ids, v.ids[j]), append(lens, v.lens[j])
			moved = append(moved, raw[v.offs[j]:v.offs[j+1]]...)
		}
		offs := []int{0}
		for _, n := range lens {
			offs = append(offs, offs[len(offs)-1]+n)
		}
		cache.put(packKey{key: at.key, sum: v.sum}, &decodedPack{view: packView{sum: v.sum, ids: ids, lens: lens, offs: offs}, raw: moved})
		got, err := newLocator(tx).withCache(cache).raw(at)
		if err == nil && !bytes.Equal(got, item(3, 0)) {
			t.Errorf("raw gave %.60q, want item 3", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
