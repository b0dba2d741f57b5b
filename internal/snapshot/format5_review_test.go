package snapshot

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// openDamagedTest opens a fresh database like openTest, for a test that
// leaves it damaged: its cleanup closes it without verifying it.
func openDamagedTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "snapshots.db"), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestHealRefusesReadableBlobOfAnotherHash: a blob X that still reads in
// a pack whose checksum fails, and a new content Y of the same raw length
// whose prefix the index files under X's id alone (a collision or a wrong
// entry): X's content hashes to a hash filed under its id, so it is intact
// and Y is stored afresh, not over X (X's old snapshots keep X).
func TestHealRefusesReadableBlobOfAnotherHash(t *testing.T) {
	db := openDamagedTest(t)
	s1 := snapshotOf(t, db, "acme", 30, same)
	fileAll(t, db)
	x, y := item(3, 0), item(3, 1)
	if len(x) != len(y) {
		t.Fatal("lengths differ")
	}
	hx, _ := ContentHash(x)
	hy, _ := ContentHash(y)
	var idX uint64
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		idX = lookupBlobID(tx, hx)
		// stands for a prefix collision of hy with hx (or a wrong entry)
		if err := fileBlobEntries(tx, []filedBlob{{hash: hy, id: idX}}); err != nil {
			return err
		}
		// the pack's CRC field damaged: the frame still reads
		c := tx.Bucket(bucketPacks).Cursor()
		k, v := c.Seek(idKey(idX))
		if k == nil || !bytes.Equal(k, idKey(idX)) {
			k, v = c.Prev()
		}
		k, rec := bytes.Clone(k), bytes.Clone(v)
		rec[1] ^= 0xff
		return tx.Bucket(bucketPacks).Put(k, rec)
	}); err != nil {
		t.Fatal(err)
	}
	db.packs = newPackCache()
	snapshotOf(t, db, "acme", 30, func(id int) int {
		if id == 3 {
			return 1
		}
		return 0
	})
	// The blob snapshot 1 names still holds X (read unchecked: its pack
	// still fails its checksum), and Lookup, which hands bytes on with no
	// hash to compare, refuses them as damaged.
	raws, _, err := db.rawBlobs([]uint64{idX}, false)
	if err != nil || !bytes.Equal(raws[0], x) {
		t.Errorf("snapshot 1's item 3 is now %.80s (%v), want rev 0", raws, err)
	}
	if raw, _, err := db.Lookup(s1, "items/contracts", "3"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Lookup in the damaged pack: %.80s %v, want ErrCorrupt", raw, err)
	}
}

// TestWaitingPrefixNotHiddenByFiledEntry: a waiting entry known by its
// prefix alone (read back after a reopen) is found although the blob index
// files another blob under the same prefix (a collision): an unchanged
// backup stores nothing new and Blob finds the content.
func TestWaitingPrefixNotHiddenByFiledEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 20, same)
	h3, _ := ContentHash(item(3, 0))
	h5, _ := ContentHash(item(5, 0))
	var id5 uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error { id5 = db.unfiled.lookup(tx, h5); return nil }); err != nil || id5 == 0 {
		t.Fatalf("item 5: id %d, %v", id5, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.unfiledReady(); err != nil {
		t.Fatal(err)
	}
	if len(db.unfiled.prefixed) != 20 {
		t.Fatalf("%d prefixed entries, want 20", len(db.unfiled.prefixed))
	}
	// Another blob filed under item 3's prefix: stands for a collision.
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return fileBlobEntries(tx, []filedBlob{{hash: h3, id: id5}})
	}); err != nil {
		t.Fatal(err)
	}
	blobs := countBlobs(t, db)
	snapshotOf(t, db, "acme", 20, same)
	if n := countBlobs(t, db); n != blobs {
		t.Errorf("an unchanged backup stored %d blobs", n-blobs)
	}
	if raw, err := db.Blob(h3); err != nil || !bytes.Equal(raw, item(3, 0)) {
		t.Errorf("Blob(item 3) = %.40q, %v", raw, err)
	}
}
