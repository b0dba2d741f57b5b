package snapshot

import (
	"bytes"
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
	raw, ok, err := db.Lookup(s1, "items/contracts", "3")
	if err != nil || !ok || !bytes.Equal(raw, x) {
		t.Errorf("snapshot 1's item 3 is now %.80s (%v %v), want rev 0", raw, ok, err)
	}
}
