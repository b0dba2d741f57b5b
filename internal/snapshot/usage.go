package snapshot

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Usage is what the stored objects take, for the dashboard's storage page.
type Usage struct {
	Blobs     int   // distinct objects stored (each content once)
	BlobBytes int64 // their stored (compressed) bytes
}

// Usage counts the stored objects and their bytes in one read transaction
// that walks the loose blobs and the packs' headers: its cost grows with
// the number of distinct objects, not with the number of snapshots. A
// blob shadowed by a loose copy (healed) counts twice.
func (db *DB) Usage() (Usage, error) {
	var u Usage
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketBlobs).ForEach(func(_, v []byte) error {
			u.Blobs++
			u.BlobBytes += int64(len(v))
			return nil
		})
		if err != nil || tx.Bucket(bucketPacks) == nil {
			return err
		}
		return tx.Bucket(bucketPacks).ForEach(func(_, v []byte) error {
			if p, err := decodePack(v); err == nil {
				u.Blobs += len(p.ids)
			}
			u.BlobBytes += int64(len(v))
			return nil
		})
	})
	if err != nil {
		return Usage{}, fmt.Errorf("count stored objects: %w", err)
	}
	return u, nil
}
