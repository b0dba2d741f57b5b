package snapshot

import (
	"bytes"

	"go.etcd.io/bbolt"
)

// The chunk index files each chunk and index node under the first
// chunkKeyLen bytes of its hash, checked against the record's bytes: a
// node is content-addressed, so a record whose bytes equal the encoding
// looked up is that encoding. Up to format 3 the key was the whole
// 32-byte hash; an entry per chunk cost 51 bytes of bbolt element, key
// and id, now 27, on random pages about two-thirds full. Entries under
// the whole hash are still read: those of older files, and the rare
// chunk whose short key another chunk holds (or a damaged one: its
// bytes no longer match, so the chunk is stored afresh). Prune removes
// entries by the id they name, whatever their key.
const chunkKeyLen = 8

// findChunk returns the id of the chunk or index node whose encoding is
// enc (its hash h), 0 when none is stored.
func findChunk(chunks, index *bbolt.Bucket, h Hash, enc []byte) uint64 {
	if id, ok := idFromValue(index.Get(h[:chunkKeyLen])); ok && bytes.Equal(chunks.Get(idKey(id)), enc) {
		return id
	}
	return lookupID(index, h)
}

// storeChunk files enc, whose hash is h, as a new chunk or index node and
// indexes it under its short key, or under h when another record holds
// that. It returns the id and the bytes written (keys and values). The
// caller checked with findChunk that enc is not stored.
func storeChunk(chunks, index *bbolt.Bucket, h Hash, enc []byte) (uint64, int64, error) {
	id, n, err := storeRecord(chunks, enc)
	if err != nil {
		return 0, 0, err
	}
	k := h[:chunkKeyLen]
	if index.Get(k) != nil {
		k = h[:]
	}
	iv := idValue(id)
	if err := index.Put(k, iv); err != nil {
		return 0, 0, err
	}
	return id, n + int64(len(k)+len(iv)), nil
}

// chunkIndexed reports whether the chunk index files the record id, whose
// bytes hash to h, under h.
func chunkIndexed(index *bbolt.Bucket, h Hash, id uint64) bool {
	if got, ok := idFromValue(index.Get(h[:chunkKeyLen])); ok && got == id {
		return true
	}
	return lookupID(index, h) == id
}
