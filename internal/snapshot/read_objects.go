package snapshot

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// WalkObjects calls fn for every object of the collection, in key order,
// with the object's key and raw JSON. It is Walk followed by Blob for each
// object, but reads the blobs of one chunk in a single read transaction
// and by id, not by hash: bulk readers such as export pay one transaction
// per chunk instead of one per object. raw is the caller's to keep. fn runs
// outside any transaction; an error from fn stops the walk and is returned.
func (db *DB) WalkObjects(snap *Snapshot, collection string, fn func(key string, raw []byte) error) error {
	refs, err := db.collectionRefs(snap, collection)
	if err != nil {
		return err
	}
	var recs [][]byte
	var buf []byte
	for _, r := range refs {
		es, err := db.loadChunk(r.id)
		if err != nil {
			return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
		}
		recs, buf = recs[:0], buf[:0]
		err = db.bolt.View(func(tx *bbolt.Tx) error {
			blobs := tx.Bucket(bucketBlobs)
			for _, e := range es {
				rec := blobs.Get(idKey(e.id))
				if rec == nil {
					return fmt.Errorf("%w: blob %d is missing", ErrCorrupt, e.id)
				}
				buf = append(buf, rec...)
				recs = append(recs, buf[len(buf)-len(rec):len(buf):len(buf)])
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
		}
		for i, e := range es {
			k, err := keyText(e.key)
			if err != nil {
				return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
			}
			raw, err := unpackBlob(e.id, Hash{}, recs[i])
			if err != nil {
				return fmt.Errorf("walk %s of snapshot %s: read %s: %w", collection, snap.ShortID(), k, err)
			}
			if err := fn(k, raw); err != nil {
				return err
			}
		}
	}
	return nil
}
