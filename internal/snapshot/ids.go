package snapshot

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// Stored records. Blobs and chunks are filed under small permanent ids
// (their bucket's sequence: never zero, never reused), and an index maps each
// content hash to its id, so identical content always gets the id it got
// first. Tree nodes refer to ids, a few bytes each, not to 32-byte hashes.
const (
	// blobFormat is the leading byte of a blob record.
	blobFormat byte = 1
	// idKeyLen is the length of an id as a bucket key: big-endian, so new
	// ids append at the end of their bucket.
	idKeyLen = 8
	// appendFill is the fill percent of the id-keyed buckets: they only
	// grow at the end, so pages are packed instead of split in halves.
	appendFill = 0.95
)

// idKey encodes an id as a bucket key.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, idKeyLen), id)
}

// idFromKey decodes a bucket key made by idKey.
func idFromKey(k []byte) (uint64, bool) {
	if len(k) != idKeyLen {
		return 0, false
	}
	id := binary.BigEndian.Uint64(k)
	return id, id != 0
}

// idValue encodes an id as an index or pending value.
func idValue(id uint64) []byte { return binary.AppendUvarint(nil, id) }

// idFromValue decodes a value made by idValue.
func idFromValue(v []byte) (uint64, bool) {
	id, n := binary.Uvarint(v)
	return id, n > 0 && n == len(v) && id != 0
}

// packBlob makes a blob record: the format byte, the content hash, then
// the zstd-compressed raw JSON.
func packBlob(h Hash, raw []byte) ([]byte, error) {
	rec := make([]byte, 0, 1+len(h)+len(raw)/2+16)
	rec = append(rec, blobFormat)
	rec = append(rec, h[:]...)
	return compressTo(rec, raw)
}

// decodeBlob splits a blob record into its hash and compressed content;
// the content aliases rec.
func decodeBlob(rec []byte) (Hash, []byte, error) {
	var h Hash
	if len(rec) < 1+len(h) || rec[0] != blobFormat {
		return h, nil, fmt.Errorf("%w: blob record does not decode", ErrCorrupt)
	}
	copy(h[:], rec[1:])
	return h, rec[1+len(h):], nil
}

// lookupID returns the id the index bucket files h under, 0 when none.
func lookupID(index *bbolt.Bucket, h Hash) uint64 {
	id, _ := idFromValue(index.Get(h[:]))
	return id
}

// storeRecord files a new record under the next id of records, without an
// index entry. It returns the id and the bytes written (key and value).
func storeRecord(records *bbolt.Bucket, val []byte) (uint64, int64, error) {
	id, err := records.NextSequence()
	if err != nil {
		return 0, 0, fmt.Errorf("next id: %w", err)
	}
	records.FillPercent = appendFill
	k := idKey(id)
	if err := records.Put(k, val); err != nil {
		return 0, 0, err
	}
	return id, int64(len(k) + len(val)), nil
}

// idSet is a set of ids, one bit each: ids are dense, from 1 to their
// bucket's sequence.
type idSet struct {
	words []uint64
	limit uint64 // the largest id that may be added
	n     int
}

// newIDSet returns a set for ids from 1 to limit.
func newIDSet(limit uint64) *idSet {
	return &idSet{words: make([]uint64, limit/64+1), limit: limit}
}

// holds reports whether id is one the set can hold: between 1 and its
// limit, the ids their bucket ever gave.
func (s *idSet) holds(id uint64) bool { return id >= 1 && id <= s.limit }

// add adds id, which the set must hold, and reports whether it was new.
func (s *idSet) add(id uint64) bool {
	w, bit := &s.words[id/64], uint64(1)<<(id%64)
	if *w&bit != 0 {
		return false
	}
	*w |= bit
	s.n++
	return true
}

// has reports whether id is in the set.
func (s *idSet) has(id uint64) bool {
	return s.holds(id) && s.words[id/64]&(1<<(id%64)) != 0
}

// count returns the number of ids in the set.
func (s *idSet) count() int { return s.n }
