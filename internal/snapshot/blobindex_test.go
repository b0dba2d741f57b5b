package snapshot

import (
	"testing"

	"go.etcd.io/bbolt"
)

// setBlobIndex files h under id in the blob index, replacing what its
// prefix held; id 0 only removes.
func setBlobIndex(tx *bbolt.Tx, h Hash, id uint64) error {
	groups := tx.Bucket(bucketBlobGroups)
	p := prefixOf(h)
	k, v := groupAt(groups.Cursor(), p)
	if v != nil {
		g, err := decodeGroup(v)
		if err != nil {
			return err
		}
		var kept []blobEntry
		for _, e := range g.entries() {
			if e.prefix != p {
				kept = append(kept, e)
			}
		}
		k = append([]byte(nil), k...)
		if err := groups.Delete(k); err != nil {
			return err
		}
		if len(kept) > 0 {
			if err := groups.Put(prefixKey(kept[0].prefix), encodeGroup(kept)); err != nil {
				return err
			}
		}
	}
	if id == 0 {
		return nil
	}
	return fileBlobEntries(tx, []filedBlob{{hash: h, id: id}})
}

// countBlobIndex counts the blob index's entries.
func countBlobIndex(t testing.TB, db *DB) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlobGroups).ForEach(func(_, v []byte) error {
			g, err := decodeGroup(v)
			n += g.len()
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
