package snapshot

import (
	"bytes"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// The chunk index (format 4): hash -> id of each chunk and index node,
// for deduplication and Verify's tree checks, a group index
// (groupindex.go) like the blob index. A candidate is checked by
// comparing its record's bytes with the encoding looked up: a node is
// content-addressed, so a record whose bytes equal the encoding is that
// encoding. A chunk of the same 6-byte prefix (a collision) or a damaged
// one (its bytes no longer match) is not taken: the chunk is stored
// afresh, and its entry joins the other under the prefix. Up to format
// 3 the index was a bbolt key per chunk, under the whole 32-byte hash
// (51 bytes of bbolt element, key and id; 27 with an 8-byte key), on
// random pages about two-thirds full; see the package doc (# Trees) for
// the figures. Prune drops the entries of the chunks it removes.
//
// A commit's new entries wait in memory (chunkStore) until its trees are
// built, and are then filed sorted, in one transaction, which rewrites
// each group they land in once. Into a bbolt key an entry, slices of the
// hash range, a transaction each, kept a commit from rewriting nearly
// every page of the index at once; into groups they rewrite a group once
// a slice, and the group's overflow pages, freed, are runs the next
// slice's cannot always reuse: on BenchmarkTreeStorage 16 slices left
// 0.54-0.70 MB of free pages, one transaction 0.51 MB (2 runs each).
var chunkIndex = &groupIndex{
	bucket: bucketChunkGroups,
	old:    bucketChunkIndex3,
	scan:   scanChunks,
}

var bucketChunkGroups = []byte("chunk-groups")

// bucketChunkIndex3 is the format-3 chunk index (hash -> id as idValue),
// read when a file not yet upgraded is opened read-only; the upgrade to
// format 4 replaces it with bucketChunkGroups.
var bucketChunkIndex3 = []byte("chunk-index")

// findChunk returns the id of the chunk or index node whose encoding is
// enc (its hash h), 0 when none is stored.
func findChunk(tx *bbolt.Tx, h Hash, enc []byte) uint64 {
	var buf [2]uint64
	chunks := tx.Bucket(bucketChunks)
	for _, id := range chunkIndex.candidates(tx, h, buf[:0]) {
		if bytes.Equal(chunks.Get(idKey(id)), enc) {
			return id
		}
	}
	return 0
}

// chunkIndexed reports whether the chunk index files the record id, whose
// bytes hash to h, under h.
func chunkIndexed(tx *bbolt.Tx, h Hash, id uint64) bool { return chunkIndex.has(tx, h, id) }

// scanChunks appends an entry for every chunk and index node whose
// bytes' hash in accepts: a hash of every record, paid only on damage
// (TestChunkIndexDamagedGroupRebuilt). The one cost: a chunk whose own
// bytes were damaged too is filed under their hash, so Verify no longer
// tells it by its index entry, only by what else it checks (decoding,
// its parent's line, its blobs).
func scanChunks(tx *bbolt.Tx, in func(Hash) bool, es []indexEntry) []indexEntry {
	_ = tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
		if id, ok := idFromKey(k); ok {
			if h := hashOf(v); in(h) {
				es = append(es, indexEntry{prefixOf(h), id})
			}
		}
		return nil
	})
	return es
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
	if id := findChunk(tx, h, enc); id != 0 {
		return id, 0, nil
	}
	id, n, err := storeRecord(tx.Bucket(bucketChunks), enc)
	if err != nil {
		return 0, 0, err
	}
	if s.fresh == nil {
		s.fresh = map[Hash]uint64{}
	}
	s.fresh[h] = id
	return id, n, nil
}

// file files the waiting index entries, sorted, in one transaction, and
// returns the bytes written (entrySize an entry).
func (s *chunkStore) file(db *DB) (int64, error) {
	if len(s.fresh) == 0 {
		return 0, nil
	}
	es := make([]indexEntry, 0, len(s.fresh))
	for h, id := range s.fresh {
		es = append(es, indexEntry{prefixOf(h), id})
	}
	slices.SortFunc(es, cmpEntry)
	if err := db.update(func(tx *bbolt.Tx) error { return chunkIndex.file(tx, es) }); err != nil {
		return 0, fmt.Errorf("file chunk index entries: %w", err)
	}
	s.fresh = nil
	return int64(len(es) * entrySize), nil
}
