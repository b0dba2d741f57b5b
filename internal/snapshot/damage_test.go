package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// damageBlob flips one byte of the compressed content of the blob filed
// under id: of its loose record, or else of the pack that holds it (which
// damages every blob of the pack). It reports whether it was a pack.
func damageBlob(t *testing.T, db *DB, id uint64) (packed bool) {
	t.Helper()
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, k := tx.Bucket(bucketBlobs), idKey(id)
		if b.Get(k) == nil {
			packed = true
			b = tx.Bucket(bucketPacks)
			c := b.Cursor()
			if kk, _ := c.Seek(k); kk == nil || !bytes.Equal(kk, k) {
				kk, _ = c.Prev()
				k = bytes.Clone(kk)
			}
		}
		rec := bytes.Clone(b.Get(k))
		rec[len(rec)-3] ^= 0x20
		return b.Put(k, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	return packed
}

// TestDamagedBlobHealsOnPut: a blob whose bytes were damaged is named by
// Verify(true) in every snapshot that refers to it, as content damage (a
// damaged pack: every blob in it); the next run that brings the same
// content finds the stored copy fails its check (a pack's checksum, a
// loose copy's comparison with what it fetched; or, once a check recorded
// it, knows it damaged) and stores it afresh under the same id, listing
// the object as healed; every snapshot, old and new, then verifies clean.
func TestDamagedBlobHealsOnPut(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupBlobID(tx, h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7: id %d, %v", id, err)
	}
	if !damageBlob(t, db, id) {
		t.Fatal("the first copy of a blob is not in a pack")
	}
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The 40 blobs share one pack: all are reported, as content damage.
	if len(rep.Problems) != 40 || rep.Structural != 0 || len(rep.DamagedBlobs) != 40 {
		t.Fatalf("problems %v, structural %d, damaged %v", rep.Problems, rep.Structural, rep.DamagedBlobs)
	}
	for _, p := range rep.Problems {
		if !p.Content || p.Snapshot != s1.ID {
			t.Errorf("problem: %+v", p)
		}
	}

	// Without a record, deduplication checks the pack and does not reuse it.
	s2 := snapshotOf(t, db, "acme", 40, same)
	if len(s2.Healed) != 40 {
		t.Errorf("second snapshot healed %d objects, want 40", len(s2.Healed))
	}
	if rep, err = db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("after the run that checked: %v %v", rep.Problems, err)
	}

	// The fresh copy is loose: damaged, it is one blob, and recorded by
	// a check, the damage heals the same way.
	if damageBlob(t, db, id) {
		t.Fatal("the healed copy is in a pack")
	}
	rep, err = db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.DamagedBlobs) != 1 {
		t.Fatalf("damaged %v", rep.DamagedBlobs)
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
	s3 := snapshotOf(t, db, "acme", 40, same)
	if got, _ := db.DamagedBlobs(); len(got) != 0 {
		t.Errorf("damaged set after the run: %v", got)
	}
	if len(s3.Healed) != 1 || s3.Healed[0].Key != "7" {
		t.Errorf("third snapshot healed %+v, want key 7", s3.Healed)
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
	if s4 := snapshotOf(t, db, "acme", 40, same); len(s4.Healed) != 0 {
		t.Errorf("a run after healing healed %+v", s4.Healed)
	}
	// Prune drops the pack whose every blob has a fresh copy.
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, bucketPacks); n != 0 {
		t.Errorf("%d packs after prune, want the damaged one dropped", n)
	}
}

// TestOtherRawFormIsNotDamage: a stored copy kept in another raw form of
// the same content (two JSON texts, one canonical form) is sound: the
// comparison falls back to the content's address and heals nothing.
func TestOtherRawFormIsNotDamage(t *testing.T) {
	db := openTest(t)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "1", []byte(`{"a":1,"b":2}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		t.Fatal(err)
	}
	w, err = db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "1", []byte(`{ "b": 2, "a": 1 }`)); err != nil {
		t.Fatal(err)
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil || len(s.Healed) != 0 {
		t.Fatalf("second run healed %+v, %v", s, err)
	}
}

// TestWrongIndexEntryIsNotOverwritten: an index entry that files an
// object's hash under another blob's sound record is damage of the index:
// the run fails (ErrCorrupt) rather than overwrite the other blob, which
// stays intact.
func TestWrongIndexEntryIsNotOverwritten(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	h7, _ := ContentHash(item(7, 0))
	h8, _ := ContentHash(item(8, 0))
	var id7, id8 uint64
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		id7, id8 = lookupBlobID(tx, h7), lookupBlobID(tx, h8)
		return setBlobIndex(tx, h7, id8)
	})
	if err != nil || id8 == 0 {
		t.Fatal(id8, err)
	}
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 40; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			break
		}
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("commit over a wrong index entry: %v, want ErrCorrupt", err)
	}
	if raw, err := db.blobByID(id8); err != nil || !bytes.Equal(raw, item(8, 0)) {
		t.Errorf("blob %d: %q, %v", id8, raw, err)
	}
	// Mend the entry for the check at the end of the test.
	err = db.bolt.Update(func(tx *bbolt.Tx) error { return setBlobIndex(tx, h7, id7) })
	if err != nil {
		t.Fatal(err)
	}
}
