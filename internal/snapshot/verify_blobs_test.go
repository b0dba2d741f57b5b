package snapshot

import (
	"bytes"
	"testing"

	"go.etcd.io/bbolt"
)

// TestVerifyCountsDistinctBlobs: two snapshots of the same 40 objects are
// 80 objects checked but 40 blobs, each read once; a damaged blob is named
// in both snapshots, sound ones in neither.
func TestVerifyCountsDistinctBlobs(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	s2 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupID(tx.Bucket(bucketBlobIndex), h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7: id %d, %v", id, err)
	}
	var orig []byte
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		orig = bytes.Clone(tx.Bucket(bucketBlobs).Get(idKey(id)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	damageBlob(t, db, id)
	t.Cleanup(func() { // before the helper's own check, which runs later
		if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketBlobs).Put(idKey(id), orig) }); err != nil {
			t.Error(err)
		}
	})
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != 80 || rep.Blobs != 40 {
		t.Errorf("checked %d objects and %d blobs, want 80 and 40", rep.Objects, rep.Blobs)
	}
	if len(rep.Problems) != 2 || rep.Problems[0].Snapshot == rep.Problems[1].Snapshot {
		t.Fatalf("problems %v, want item 7 in %s and %s", rep.Problems, s1.ID, s2.ID)
	}
	for _, p := range rep.Problems {
		if !p.Content || p.Key != "7" {
			t.Errorf("problem %+v, want content damage of item 7", p)
		}
	}
}
