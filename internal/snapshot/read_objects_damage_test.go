package snapshot

import (
	"bytes"
	"errors"
	"testing"

	"go.etcd.io/bbolt"
)

// TestWalkObjectsRefusesDamage: WalkObjects and Lookup hand bytes on with
// no hash to compare them with (restore plans, export read the snapshot
// through them), so a blob in a pack that fails its checksum, though it
// still decodes, and a blob a check recorded damaged, are refused
// (ErrCorrupt) instead of being taken for the snapshot's content, as
// Walk followed by Blob refused the recorded one.
func TestWalkObjectsRefusesDamage(t *testing.T) {
	walk := func(db *DB, s *Snapshot) (map[string][]byte, error) {
		got := map[string][]byte{}
		err := db.WalkObjects(s, "items/contracts", func(k string, raw []byte) error {
			got[k] = raw
			return nil
		})
		return got, err
	}
	forged := func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"status":"active"`), []byte(`"status":"closed"`), 1)
	}
	idOf := func(db *DB, rev int) uint64 {
		h7, _ := ContentHash(item(7, rev))
		var id uint64
		if err := db.bolt.View(func(tx *bbolt.Tx) error { id = lookupBlobID(tx, h7); return nil }); err != nil || id == 0 {
			t.Fatal(id, err)
		}
		return id
	}

	t.Run("checksum", func(t *testing.T) {
		db := openDamagedTest(t)
		s := snapshotOf(t, db, "acme", 40, same)
		fileAll(t, db)
		id := idOf(db, 0)
		var sum []byte
		_ = db.bolt.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketPacks).Cursor()
			k, v := c.Seek(idKey(id))
			if k == nil || !bytes.Equal(k, idKey(id)) {
				_, v = c.Prev()
			}
			sum = bytes.Clone(v[1:5])
			return nil
		})
		forgeBlob(t, db, id, forged)
		// Put the old checksum back: the record decodes and decompresses,
		// its content is JSON, and the checksum no longer matches.
		if err := db.bolt.Update(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketPacks).Cursor()
			k, v := c.Seek(idKey(id))
			if k == nil || !bytes.Equal(k, idKey(id)) {
				k, v = c.Prev()
			}
			k, rec := bytes.Clone(k), bytes.Clone(v)
			copy(rec[1:5], sum)
			if packSumOK(rec) {
				t.Fatal("the forged pack's checksum still matches")
			}
			return tx.Bucket(bucketPacks).Put(k, rec)
		}); err != nil {
			t.Fatal(err)
		}
		db.packs = newPackCache()
		if got, err := walk(db, s); !errors.Is(err, ErrCorrupt) {
			t.Errorf("WalkObjects over a pack failing its checksum: %v, item 7 %s; want ErrCorrupt", err, got["7"])
		}
		if raw, _, err := db.Lookup(s, "items/contracts", "7"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Lookup in a pack failing its checksum: %s %v; want ErrCorrupt", raw, err)
		}
	})

	t.Run("recorded", func(t *testing.T) {
		db := openDamagedTest(t)
		s := snapshotOf(t, db, "acme", 40, same)
		fileAll(t, db)
		forgeBlob(t, db, idOf(db, 0), forged) // checksum and all
		rep, err := db.Verify(true, nil)
		if err != nil || len(rep.DamagedBlobs) != 1 {
			t.Fatalf("verify --read-data: %v %v", rep.DamagedBlobs, err)
		}
		if _, err := db.RecordCheck(rep); err != nil {
			t.Fatal(err)
		}
		// Walk then Blob refuses it (not found: the index files the hash
		// recorded under no blob that holds it).
		var blobErr error
		_ = db.Walk(s, "items/contracts", func(k string, h Hash) error {
			if k == "7" {
				_, blobErr = db.Blob(h)
			}
			return nil
		})
		if blobErr == nil {
			t.Errorf("Blob of the recorded blob: no error")
		}
		if got, err := walk(db, s); !errors.Is(err, ErrCorrupt) {
			t.Errorf("WalkObjects over a blob recorded damaged: %v, item 7 %s; want ErrCorrupt", err, got["7"])
		}
		if raw, _, err := db.Lookup(s, "items/contracts", "7"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Lookup of a blob recorded damaged: %s %v; want ErrCorrupt", raw, err)
		}
		// Once a backup healed it, it reads again.
		s2 := snapshotOf(t, db, "acme", 40, same)
		if len(s2.Healed) != 1 {
			t.Fatalf("healed %+v", s2.Healed)
		}
		if got, err := walk(db, s); err != nil || !bytes.Equal(got["7"], item(7, 0)) {
			t.Errorf("WalkObjects after healing: %v, item 7 %s", err, got["7"])
		}
	})
}
