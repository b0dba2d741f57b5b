package snapshot

import (
	"fmt"
)

// WalkObjects calls fn for every object of the collection, in key order,
// with the object's key and raw JSON. It is Walk followed by Blob for each
// object, but reads the blobs of one chunk in a single read transaction
// and by id, not by hash: bulk readers such as export pay one transaction
// per chunk instead of one per object, and decompress each pack once
// while the pack cache holds it. Walk's hashes and Blob's comparison
// with them are not computed: instead a blob recorded damaged, or in a
// pack that fails its checksum (checked once a pack and batch), stops the
// walk with an error wrapping ErrCorrupt (TestWalkObjectsRefusesDamage),
// so that restore does not take a damaged pack's bytes for the
// snapshot's. A loose record (a healed blob's, an old format's) has no
// checksum and is not checked here, as Blob does not check it: damage to
// it that still decompresses is found only by verify --read-data and the
// scrub. raw is the caller's to keep. fn runs
// outside any transaction; an error from fn stops the walk and is returned.
func (db *DB) WalkObjects(snap *Snapshot, collection string, fn func(key string, raw []byte) error) error {
	it, err := db.collectionEntries(snap, collection)
	if err != nil {
		return err
	}
	return walkBatches(it, func(es []entry) error {
		ids := make([]uint64, len(es))
		for i, e := range es {
			ids[i] = e.id
		}
		raws, _, err := db.rawBlobs(ids, true)
		if err != nil {
			return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
		}
		for i, e := range es {
			k, err := keyText(e.key)
			if err != nil {
				return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
			}
			if err := fn(k, raws[i]); err != nil {
				return userError{err}
			}
		}
		return nil
	}, func(err error) error {
		return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
	})
}
