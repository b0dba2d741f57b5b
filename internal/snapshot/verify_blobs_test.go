package snapshot

import (
	"testing"

	"go.etcd.io/bbolt"
)

// TestVerifyCountsDistinctBlobs: two snapshots of the same 40 objects are
// 80 objects checked but 40 blobs, each read once; a damaged blob (here its
// pack, which holds the 40) is named in both snapshots.
func TestVerifyCountsDistinctBlobs(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	s2 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupBlobID(tx, h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7: id %d, %v", id, err)
	}
	damageBlob(t, db, id)                       // its pack: the 40 objects
	t.Cleanup(func() { damageBlob(t, db, id) }) // flipped back before the helper's own check, which runs later
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != 80 || rep.Blobs != 40 {
		t.Errorf("checked %d objects and %d blobs, want 80 and 40", rep.Objects, rep.Blobs)
	}
	named := map[string]map[string]bool{} // key -> snapshots
	for _, p := range rep.Problems {
		if !p.Content {
			t.Errorf("problem %+v, want content damage", p)
		}
		if named[p.Key] == nil {
			named[p.Key] = map[string]bool{}
		}
		named[p.Key][p.Snapshot] = true
	}
	if len(rep.Problems) != 80 || len(named) != 40 || !named["7"][s1.ID] || !named["7"][s2.ID] {
		t.Fatalf("problems %v, want each of the pack's 40 objects, item 7 among them, in %s and %s", rep.Problems, s1.ID, s2.ID)
	}
}
