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
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		id = storedID(tx, db.unfiled, hash)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), err)
	}
	if id == 0 {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), ErrNotFound)
	}
	raws, hashes, err := db.rawBlobs([]uint64{id})
	if err == nil && hashes[0] == (Hash{}) { // a pack of format 5: the content's
		if hashes[0], err = ContentHash(raws[0]); err == nil && prefixCollision(hashes[0], hash) {
			return nil, fmt.Errorf("read blob %s: %w", hash.Short(), ErrNotFound) // another blob of its prefix
		}
	}
	if err == nil && hashes[0] != hash {
		err = fmt.Errorf("%w: blob %d holds %s", ErrCorrupt, id, hashes[0].Short())
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash.Short(), err)
	}
	return raws[0], nil
}

// blobByID returns the raw bytes of the blob filed under id, decompressed.
func (db *DB) blobByID(id uint64) ([]byte, error) {
	raws, _, err := db.rawBlobs([]uint64{id})
	if err != nil {
		return nil, fmt.Errorf("read blob %d: %w", id, err)
	}
	return raws[0], nil
}

// rawBlobs returns the raw bytes and the hashes of the blobs ids, in
// order (the zero Hash for a blob in a pack of format 5, which lists
// none): their records are found in one read transaction, and each pack
// is decompressed at most once (and not at all when the pack cache holds
// it). The slices are the caller's to keep.
func (db *DB) rawBlobs(ids []uint64) ([][]byte, []Hash, error) {
	type want struct {
		loose []byte // a loose blob's frame, copied out
		pk    packKey
	}
	wants := make([]want, len(ids))
	hashes := make([]Hash, len(ids))
	recs := map[packKey][]byte{} // packs to decode, copied out
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		l := newLocator(tx)
		for i, id := range ids {
			at, err := l.locate(id)
			if err != nil {
				return err
			}
			if at.hashed {
				hashes[i] = at.hash
			}
			if at.loose != nil {
				wants[i].loose = bytes.Clone(at.loose)
				continue
			}
			pk := packKey{key: at.key, sum: at.pack.sum}
			wants[i].pk = pk
			if _, ok := recs[pk]; !ok && db.packs.get(pk) == nil {
				recs[pk] = bytes.Clone(at.rec)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	decoded := make(map[packKey]*decodedPack, len(recs))
	for pk, rec := range recs {
		d, err := decodePackRecord(rec)
		if err != nil {
			return nil, nil, err
		}
		decoded[pk] = d
		db.packs.put(pk, d)
	}
	out := make([][]byte, len(ids))
	for i, w := range wants {
		if w.loose != nil {
			raw, err := decompress(w.loose)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: blob %d: %v", ErrCorrupt, ids[i], err)
			}
			out[i] = raw
			continue
		}
		d := decoded[w.pk]
		if d == nil {
			if d = db.packs.get(w.pk); d == nil { // evicted meanwhile: read it again
				raws, _, err := db.rawBlobs(ids[i : i+1])
				if err != nil {
					return nil, nil, err
				}
				out[i] = raws[0]
				continue
			}
		}
		raw, ok := d.blob(ids[i])
		if !ok {
			return nil, nil, fmt.Errorf("%w: blob %d is missing", ErrCorrupt, ids[i])
		}
		out[i] = bytes.Clone(raw)
	}
	return out, hashes, nil
}

// decodePackRecord decompresses a pack record copied out of the database.
func decodePackRecord(rec []byte) (*decodedPack, error) {
	p, err := decodePack(rec)
	if err != nil {
		return nil, err
	}
	raw, err := p.unpack()
	if err != nil {
		return nil, err
	}
	p.hashes, p.frame = nil, nil
	return &decodedPack{view: p, raw: raw}, nil
}

// blobHashes returns the hashes of the blobs filed under ids, in one read
// transaction: the hash a loose record or a pack of format 3 or 4 lists,
// else (a pack of format 5) the hash of the blob's content, decompressed
// through the decoded-pack cache and hashed after the transaction. A
// missing or damaged blob record is an error wrapping ErrCorrupt.
func (db *DB) blobHashes(ids []uint64) ([]Hash, error) {
	out := make([]Hash, len(ids))
	var raws [][]byte // the content of the blobs whose hash is not listed
	var at []int      // and their index in ids
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		l := newLocator(tx).withCache(db.packs)
		for i, id := range ids {
			b, err := l.locate(id)
			if err != nil {
				return err
			}
			if b.hashed {
				out[i] = b.hash
				continue
			}
			raw, err := l.raw(b)
			if err != nil {
				return fmt.Errorf("blob %d: %w", id, err)
			}
			raws, at = append(raws, raw), append(at, i)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for j, raw := range raws {
		h, err := ContentHash(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: blob %d: %v", ErrCorrupt, ids[at[j]], err)
		}
		out[at[j]] = h
	}
	return out, nil
}
