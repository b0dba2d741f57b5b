package snapshot

import (
	"errors"
	"testing"

	"go.etcd.io/bbolt"
)

// TestWalkDiffDamagedPackFormat5: a pack of format 5 that does not
// decompress (it lists no hashes) does not stop Walk or DiffCollection:
// format 4 reported the listed hashes, and offsite push and diff rely on
// both.
func TestWalkDiffDamagedPackFormat5(t *testing.T) {
	db := openDamagedTest(t)
	// 200 objects fill more than half a pack: the second run's one new
	// object stays in a pack of its own (small packs merge at commit).
	const n = 200
	s1 := snapshotOf(t, db, "acme", n, same)
	s2 := snapshotOf(t, db, "acme", n, func(id int) int {
		if id == 7 {
			return 1
		}
		return 0
	})
	fileAll(t, db)
	h7, _ := ContentHash(item(7, 0))
	var id uint64
	_ = db.bolt.View(func(tx *bbolt.Tx) error { id = lookupBlobID(tx, h7); return nil })
	if !damageBlob(t, db, id) {
		t.Fatal("not packed")
	}
	db.packs = newPackCache()
	got := map[string]Hash{}
	err := db.Walk(s1, "items/contracts", func(k string, h Hash) error { got[k] = h; return nil })
	if err != nil {
		t.Errorf("Walk of a snapshot with a damaged blob: %v", err)
	}
	if len(got) != n || got["7"] != UnknownHash {
		t.Errorf("walk: %d objects, item 7 %s; want %d, UnknownHash", len(got), got["7"].Short(), n)
	}
	if _, err := db.Blob(UnknownHash); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Blob(UnknownHash): %v, want ErrCorrupt", err)
	}
	h7new, _ := ContentHash(item(7, 1))
	var diffs []string
	err = db.DiffCollection(s1, s2, "items/contracts", func(k string, old, new Hash) error {
		diffs = append(diffs, k)
		if k == "7" && (old != UnknownHash || new != h7new) {
			t.Errorf("diff of item 7: %s -> %s, want unknown -> %s", old.Short(), new.Short(), h7new.Short())
		}
		return nil
	})
	if err != nil || len(diffs) != 1 {
		t.Errorf("DiffCollection: %v %v", diffs, err)
	}
	// Once a check recorded the hash the blob should hold, it is reported.
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDamaged).Put(idKey(id), h7[:])
	}); err != nil {
		t.Fatal(err)
	}
	err = db.Walk(s1, "items/contracts", func(k string, h Hash) error { got[k] = h; return nil })
	if err != nil || got["7"] != h7 {
		t.Errorf("walk with the damage recorded: item 7 %s (%v), want %s", got["7"].Short(), err, h7.Short())
	}
}
