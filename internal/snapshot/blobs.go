package snapshot

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// Blob returns the raw bytes stored under hash, decompressed. It returns an
// error wrapping ErrNotFound when there is no such blob, and one wrapping
// ErrCorrupt for UnknownHash.
func (db *DB) Blob(hash Hash) ([]byte, error) {
	if hash.Unknown() {
		return nil, fmt.Errorf("read blob: %w: the blob is damaged and its hash unknown", ErrCorrupt)
	}
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
	raws, hashes, err := db.rawBlobs([]uint64{id}, false)
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

// blobByID returns the raw bytes of the blob filed under id, decompressed,
// checked as rawBlobs checks them (its pack's checksum, the damaged set):
// nothing names the content it should hold.
func (db *DB) blobByID(id uint64) ([]byte, error) {
	raws, _, err := db.rawBlobs([]uint64{id}, true)
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
//
// checked is for readers that hand the bytes on with no hash to compare
// them with (WalkObjects, Lookup: restore plans, export): a blob recorded
// damaged and not healed, or in a pack that fails its checksum (each pack
// checked once a call, inside the transaction), is refused, ErrCorrupt.
// Blob compares the content with the hash asked for instead (format 5
// lists none, so the content read would otherwise be taken as it is).
func (db *DB) rawBlobs(ids []uint64, checked bool) ([][]byte, []Hash, error) {
	type want struct {
		loose []byte // a loose blob's frame, copied out
		pk    packKey
	}
	wants := make([]want, len(ids))
	hashes := make([]Hash, len(ids))
	recs := map[packKey][]byte{} // packs to decode, copied out
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		l := newLocator(tx).withCache(db.packs) // only to reuse cached headers
		var dmg *bbolt.Bucket
		var sound map[packKey]bool
		if checked {
			if dmg = tx.Bucket(bucketDamaged); dmg != nil {
				if k, _ := dmg.Cursor().First(); k == nil {
					dmg = nil // nothing recorded damaged
				}
			}
			sound = map[packKey]bool{}
		}
		for i, id := range ids {
			at, err := l.locate(id)
			if err != nil {
				return err
			}
			if dmg != nil && dmg.Get(idKey(id)) != nil {
				return fmt.Errorf("%w: blob %d is recorded damaged (a check found it; a backup heals it while the server still has its object)", ErrCorrupt, id)
			}
			if checked && at.loose == nil {
				pk := packKey{key: at.key, sum: at.pack.sum}
				ok, seen := sound[pk]
				if !seen {
					ok = packSumOK(at.rec)
					sound[pk] = ok
				}
				if !ok {
					return fmt.Errorf("%w: blob %d: its pack %d fails its checksum", ErrCorrupt, id, at.key)
				}
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
				raws, _, err := db.rawBlobs(ids[i:i+1], checked)
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
// else (a pack of format 5) the hash a check recorded for the blob in the
// damaged set, else the hash of the blob's content (kept in the DB's
// hashCache, keyed by the pack's version), decompressed
// through the decoded-pack cache and hashed at once (no slice into a
// decompressed pack is kept, so a batch keeps no pack alive). A blob of
// format 5 that cannot be read, or whose content is not JSON, has
// UnknownHash: one
// damaged pack does not stop a walk or a diff. A missing blob record is
// an error wrapping ErrCorrupt.
func (db *DB) blobHashes(ids []uint64) ([]Hash, error) {
	out := make([]Hash, len(ids))
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		l := newLocator(tx).withCache(db.packs)
		dmg := tx.Bucket(bucketDamaged)
		if dmg != nil {
			if k, _ := dmg.Cursor().First(); k == nil {
				dmg = nil // the rule: nothing recorded damaged
			}
		}
		for i, id := range ids {
			b, err := l.locate(id)
			if err != nil {
				return err
			}
			if b.hashed {
				out[i] = b.hash
				continue
			}
			if dmg != nil {
				if h, ok := hashFrom(dmg.Get(idKey(id))); ok && !h.IsZero() {
					out[i] = h // what a check found the blob should hold
					continue
				}
			}
			ck := hashCacheKey{id: id, pk: packKey{key: b.key, sum: b.pack.sum}}
			if h, ok := db.contentHashes.get(ck); ok {
				out[i] = h
				continue
			}
			out[i] = UnknownHash
			if raw, err := l.raw(b); err == nil {
				if h, err := ContentHash(raw); err == nil {
					out[i] = h
					db.contentHashes.put(ck, h)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
