package snapshot

import (
	"go.etcd.io/bbolt"
)

// The blob index (format 4): content hash -> blob id, for deduplication
// and [DB.Blob], a group index (groupindex.go). Up to format 3 it was a
// bucket keyed by the full 32-byte hash, one bbolt element (16 bytes) per
// entry: 51 bytes an entry, 3.4 MB of the 20 MiB storage benchmark, while
// the pack that holds the blob lists the same hash again.
//
// The full hash is checked against the blob's record: the hash a loose
// record or a pack of format 3 or 4 lists, the content of a pack of
// format 5 (compared with the bytes about to be stored, or hashed): an entry whose blob has
// another prefix means a wrong index (ErrCorrupt, as before); one whose
// blob has the same prefix but another hash is a prefix collision (2^-48
// a pair of blobs: about one chance in 500 that a database of a million
// blobs holds one), and every entry of the prefix is tried. A group that
// does not decode is rebuilt from the packs and the loose records (a
// scan of every pack header, some 50 ms a million blobs, and for packs of
// format 5 a decompression and a hash of every blob, seconds a million
// blobs; paid only on damage).
var blobIndex = &groupIndex{
	bucket: bucketBlobGroups,
	old:    bucketBlobIndex3,
	scan:   scanBlobs,
}

var bucketBlobGroups = []byte("blob-groups")

// bucketBlobIndex3 is the format-3 blob index (hash -> id as idValue),
// read when a file not yet upgraded is opened read-only; the upgrade to
// format 4 replaces it with bucketBlobGroups.
var bucketBlobIndex3 = []byte("blob-index")

// blobCandidates appends to ids each id the blob index files under h's
// prefix (usually none or one), in order.
func blobCandidates(tx *bbolt.Tx, h Hash, ids []uint64) []uint64 {
	return blobIndex.candidates(tx, h, ids)
}

// lookupBlobID returns the id of the blob of hash h, 0 when the index has
// none. With one candidate (the rule) it is returned unchecked: callers
// read the blob's record and compare its hash (see sameBlob). With more,
// the one whose record holds h is returned, else the first.
func lookupBlobID(tx *bbolt.Tx, h Hash) uint64 {
	var buf [2]uint64
	ids := blobCandidates(tx, h, buf[:0])
	switch len(ids) {
	case 0:
		return 0
	case 1:
		return ids[0]
	}
	l := newLocator(tx)
	for _, id := range ids {
		if at, err := l.locate(id); err == nil && l.holds(at, h, nil) {
			return id
		}
	}
	return ids[0]
}

// indexedUnder reports whether the blob index has an entry for h under id.
func indexedUnder(tx *bbolt.Tx, h Hash, id uint64) bool { return blobIndex.has(tx, h, id) }

// prefixCollision reports whether stored, the hash a record holds, is not
// h but shares its index prefix: another blob, not a wrong index entry.
func prefixCollision(stored, h Hash) bool { return stored != h && prefixOf(stored) == prefixOf(h) }

// fileBlobEntries files entries (sorted by hash) into the blob index.
func fileBlobEntries(tx *bbolt.Tx, part []filedBlob) error {
	add := make([]indexEntry, len(part))
	for i, b := range part {
		add[i] = indexEntry{prefixOf(b.hash), b.id}
	}
	return blobIndex.file(tx, add)
}

// scanBlobs appends an entry for every blob whose hash in accepts, read
// from the packs' headers and the loose records. A pack of format 5 lists
// no hashes: it is decompressed and its blobs hashed, when its checksum
// holds (a damaged pack's blobs are left out: backups store their content
// anew, Verify names them).
func scanBlobs(tx *bbolt.Tx, in func(Hash) bool, es []indexEntry) []indexEntry {
	if packs := tx.Bucket(bucketPacks); packs != nil {
		_ = packs.ForEach(func(_, v []byte) error {
			p, err := decodePack(v)
			if err != nil {
				return nil // Verify names it
			}
			var raw []byte
			if p.hashes == nil {
				if !packSumOK(v) {
					return nil
				}
				if raw, err = p.unpack(); err != nil {
					return nil
				}
			}
			for i, id := range p.ids {
				h, ok := p.hash(i)
				if !ok {
					if h, err = ContentHash(raw[p.offs[i]:p.offs[i+1]]); err != nil {
						continue
					}
				}
				if in(h) {
					es = append(es, indexEntry{prefixOf(h), id})
				}
			}
			return nil
		})
	}
	_ = tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		id, ok := idFromKey(k)
		h, _, err := decodeBlob(v)
		if ok && err == nil && in(h) {
			es = append(es, indexEntry{prefixOf(h), id})
		}
		return nil
	})
	return es
}
