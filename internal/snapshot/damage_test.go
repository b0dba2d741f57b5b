package snapshot

import (
	"bytes"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// damageBlob flips one byte of the compressed content of the blob filed
// under id, and returns it as it was.
func damageBlob(t *testing.T, db *DB, id uint64) {
	t.Helper()
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		rec := bytes.Clone(b.Get(idKey(id)))
		rec[len(rec)-3] ^= 0x20
		return b.Put(idKey(id), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamagedBlobHealsOnPut: a blob whose bytes were damaged is named by
// Verify(true) in every snapshot that refers to it, as content damage;
// once recorded, the next run that brings the same content stores it afresh
// under the same id, and every snapshot, old and new, verifies clean.
func TestDamagedBlobHealsOnPut(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupID(tx.Bucket(bucketBlobIndex), h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7: id %d, %v", id, err)
	}
	damageBlob(t, db, id)

	// Without a record, deduplication trusts the damaged copy.
	s2 := snapshotOf(t, db, "acme", 40, same)
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 2 || rep.Structural != 0 || len(rep.DamagedBlobs) != 1 {
		t.Fatalf("problems %v, structural %d, damaged %v", rep.Problems, rep.Structural, rep.DamagedBlobs)
	}
	for i, p := range rep.Problems {
		if !p.Content || p.Key != "7" {
			t.Errorf("problem %d: %+v", i, p)
		}
	}
	if got := rep.Damaged(); len(got) != 2 || !slices.Contains(got, s1.ID) || !slices.Contains(got, s2.ID) {
		t.Errorf("damaged snapshots %v, want %s and %s", got, s1.ID, s2.ID)
	}
	c, err := db.RecordCheck(rep)
	if err != nil || c.Structural != 0 || c.Content != 1 {
		t.Fatalf("record: %+v, %v", c, err)
	}
	if got, _ := db.DamagedBlobs(); len(got) != 1 {
		t.Fatalf("damaged set: %v", got)
	}

	// The next run heals it: the same id, the original bytes.
	s3 := snapshotOf(t, db, "acme", 40, same)
	if got, _ := db.DamagedBlobs(); len(got) != 0 {
		t.Errorf("damaged set after the run: %v", got)
	}
	rep, err = db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("after the healing run %s: %v", s3.ID, rep.Problems)
	}
	raw, err := db.blobByID(id)
	if err != nil || !bytes.Equal(raw, item(7, 0)) {
		t.Errorf("blob %d: %q, %v", id, raw, err)
	}
	if last, ok, err := db.LastCheck(); err != nil || !ok || last.Content != 1 {
		t.Errorf("last check: %+v %v %v", last, ok, err)
	}
}
