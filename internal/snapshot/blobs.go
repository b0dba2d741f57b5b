package snapshot

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// Blob returns the raw bytes stored under hash, decompressed. It returns an
// error wrapping ErrNotFound when there is no such blob.
func (db *DB) Blob(hash Hash) ([]byte, error) {
	if err := db.unfiledReady(); err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), err)
	}
	var id uint64
	var rec []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if id = db.unfiled.lookup(tx.Bucket(bucketBlobIndex), hash); id != 0 {
			rec = bytes.Clone(tx.Bucket(bucketBlobs).Get(idKey(id)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), err)
	}
	if id == 0 {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), ErrNotFound)
	}
	raw, err := unpackBlob(id, hash, rec)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), err)
	}
	return raw, nil
}

// blobByID returns the raw bytes of the blob filed under id, decompressed.
func (db *DB) blobByID(id uint64) ([]byte, error) {
	var rec []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		rec = bytes.Clone(tx.Bucket(bucketBlobs).Get(idKey(id)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read blob %d: %w", id, err)
	}
	raw, err := unpackBlob(id, Hash{}, rec)
	if err != nil {
		return nil, fmt.Errorf("read blob %d: %w", id, err)
	}
	return raw, nil
}

// unpackBlob decompresses the blob record rec of blob id, checking that it
// is the blob of hash want unless want is zero.
func unpackBlob(id uint64, want Hash, rec []byte) ([]byte, error) {
	if rec == nil {
		return nil, fmt.Errorf("%w: blob %d is missing", ErrCorrupt, id)
	}
	h, packed, err := decodeBlob(rec)
	if err != nil {
		return nil, err
	}
	if !want.IsZero() && h != want {
		return nil, fmt.Errorf("%w: blob %d holds %s", ErrCorrupt, id, h.Short())
	}
	raw, err := decompress(packed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return raw, nil
}

// blobHashes returns the hashes of the blobs filed under ids, in one read
// transaction. A missing or damaged blob record is an error wrapping
// ErrCorrupt.
func (db *DB) blobHashes(ids []uint64) ([]Hash, error) {
	out := make([]Hash, len(ids))
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		blobs := tx.Bucket(bucketBlobs)
		for i, id := range ids {
			rec := blobs.Get(idKey(id))
			if rec == nil {
				return fmt.Errorf("%w: blob %d is missing", ErrCorrupt, id)
			}
			h, _, err := decodeBlob(rec)
			if err != nil {
				return fmt.Errorf("blob %d: %w", id, err)
			}
			out[i] = h
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
