package snapshot

import (
	"bytes"
	"fmt"
	"slices"

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
//
// A commit's new entries wait in memory (chunkStore) until its trees are
// built, and are then filed sorted, a slice of the hash range per
// transaction: their keys are random, so one transaction that filed
// them all rewrote nearly every page of the index, and the copies it
// replaced stayed in the file as free pages.
const (
	chunkKeyLen = 8
	// chunkFileSlices is the most transactions a commit's chunk index
	// entries are filed in; a slice holds at least chunkFileMin entries.
	chunkFileSlices = 16
	chunkFileMin    = 64
)

// findChunk returns the id of the chunk or index node whose encoding is
// enc (its hash h), 0 when none is stored.
func findChunk(chunks, index *bbolt.Bucket, h Hash, enc []byte) uint64 {
	if id, ok := idFromValue(index.Get(h[:chunkKeyLen])); ok && bytes.Equal(chunks.Get(idKey(id)), enc) {
		return id
	}
	return lookupID(index, h)
}

// fileChunk files the index entry of the chunk or index node id, whose
// hash is h, under its short key, or under h when another record holds
// that. It returns the bytes written (key and value).
func fileChunk(index *bbolt.Bucket, h Hash, id uint64) (int64, error) {
	k := h[:chunkKeyLen]
	if index.Get(k) != nil {
		k = h[:]
	}
	iv := idValue(id)
	if err := index.Put(k, iv); err != nil {
		return 0, err
	}
	return int64(len(k) + len(iv)), nil
}

// chunkIndexed reports whether the chunk index files the record id, whose
// bytes hash to h, under h.
func chunkIndexed(index *bbolt.Bucket, h Hash, id uint64) bool {
	if got, ok := idFromValue(index.Get(h[:chunkKeyLen])); ok && got == id {
		return true
	}
	return lookupID(index, h) == id
}

// chunkStore stores a commit's chunks and index nodes, each once: those
// it stored wait for their index entries (file) in fresh.
type chunkStore struct {
	fresh map[Hash]uint64
}

// put returns the id of the chunk or index node enc, storing it unless it
// is stored, and the bytes it wrote (key and value).
func (s *chunkStore) put(tx *bbolt.Tx, enc []byte) (uint64, int64, error) {
	h := hashOf(enc)
	if id := s.fresh[h]; id != 0 {
		return id, 0, nil
	}
	chunks := tx.Bucket(bucketChunks)
	if id := findChunk(chunks, tx.Bucket(bucketChunkIndex), h, enc); id != 0 {
		return id, 0, nil
	}
	id, n, err := storeRecord(chunks, enc)
	if err != nil {
		return 0, 0, err
	}
	if s.fresh == nil {
		s.fresh = map[Hash]uint64{}
	}
	s.fresh[h] = id
	return id, n, nil
}

// file files the waiting index entries, sorted, in up to chunkFileSlices
// transactions, and returns the bytes written. A filing that outnumbers
// the entries filed before (a first backup's) makes most of the index's
// pages from its own entries: it fills them, as the blob index's first
// filing does (unfiled.go), in one transaction, since no page it
// replaces would be worth a slice.
func (s *chunkStore) file(db *DB) (int64, error) {
	if len(s.fresh) == 0 {
		return 0, nil
	}
	hashes := make([]Hash, 0, len(s.fresh))
	for h := range s.fresh {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, func(a, b Hash) int { return bytes.Compare(a[:], b[:]) })
	var stored uint64 // chunks and index nodes ever stored: a bound on the index's size
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		stored = tx.Bucket(bucketChunks).Sequence()
		return nil
	}); err != nil {
		return 0, err
	}
	fill := 2*uint64(len(hashes)) >= stored
	n := min(chunkFileSlices, max(1, len(hashes)/chunkFileMin))
	if fill {
		n = 1
	}
	var added int64
	for i := range n {
		part := hashes[i*len(hashes)/n : (i+1)*len(hashes)/n]
		err := db.update(func(tx *bbolt.Tx) error {
			index := tx.Bucket(bucketChunkIndex)
			if fill {
				index.FillPercent = 1.0
			}
			for _, h := range part {
				w, err := fileChunk(index, h, s.fresh[h])
				if err != nil {
					return err
				}
				added += w
			}
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("file chunk index entries: %w", err)
		}
	}
	s.fresh = nil
	return added, nil
}
