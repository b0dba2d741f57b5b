package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// Index levels. A collection's chunks are listed by index nodes, content
// defined like chunks, level upon level until one level lists at most
// maxIndexRefs children: that list is the root. A level-1 node lists
// chunks; a level-n node lists level n-1 nodes.
const (
	// indexFormat is the leading byte of an index node or root encoding;
	// oldIndexFormat that of those written before numeric keys were coded
	// as differences (see appendKey), which are still read.
	indexFormat    byte = 4
	oldIndexFormat byte = 2
	// indexMask: an index node ends after a child whose first key (hashed
	// with the level) has these bits zero, about one child in 16.
	indexMask = 15
	// maxIndexRefs caps the children of an index node and of a root.
	maxIndexRefs = 64
	// minIndexRefs is the fewest children an index node takes before a
	// boundary may end it, so that every level at least halves.
	minIndexRefs = 2
	// maxLevel bounds the level decoders accept: minIndexRefs makes a
	// level at least halve, so 40 levels hold more than 2^40 chunks.
	maxLevel = 40
	// maxSubtree bounds the entry count decoders accept for one child.
	maxSubtree = 1 << 50
)

// indexBoundary reports whether an index node of the given level ends after
// the child whose first key is first. The level salts the hash, so the
// levels cut independently.
func indexBoundary(level int, first []byte) bool {
	h := sha256.New()
	h.Write([]byte{byte(level)})
	h.Write(first)
	var sum [sha256.Size]byte
	return binary.LittleEndian.Uint64(h.Sum(sum[:0])[:8])&indexMask == 0
}

// encodeIndex encodes an index node or root: the format byte, the child
// count, the level, then for each child its first key (prefix-compressed),
// id (see appendID) and entry count.
func encodeIndex(level int, refs []chunkRef) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64+len(refs)*10)
	b = append(b, indexFormat)
	b = binary.AppendUvarint(b, uint64(len(refs)))
	b = binary.AppendUvarint(b, uint64(level))
	var prev []byte
	var prevID uint64
	for _, r := range refs {
		b = appendKey(b, prev, r.first)
		b = appendID(b, prevID, r.id)
		b = binary.AppendUvarint(b, uint64(r.count))
		prev, prevID = r.first, r.id
	}
	return b
}

// decodeIndex decodes an index node or root made by encodeIndex: its level
// (at least 1) and children (at least one).
func decodeIndex(b []byte) (int, []chunkRef, error) {
	d := &decoder{b: b}
	n := d.header("index node", indexFormat, oldIndexFormat, minRootEntry)
	level := int(d.uvarint(maxLevel))
	if d.err == nil && (n == 0 || level == 0) {
		d.err = fmt.Errorf("%w: empty index node or level 0", ErrCorrupt)
	}
	maxCount := uint64(maxSubtree)
	if level == 1 {
		maxCount = maxChunkEntries
	}
	refs := make([]chunkRef, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.key()
		id := d.id()
		c := d.uvarint(maxCount)
		if d.err == nil && c == 0 {
			d.err = fmt.Errorf("%w: index node lists an empty child", ErrCorrupt)
		}
		refs = append(refs, chunkRef{first: k, id: id, count: int(c)})
	}
	if err := d.end("index node"); err != nil {
		return 0, nil, err
	}
	return level, refs, nil
}

// buildIndex stores the index nodes over a collection's chunks (through
// s), level by level, and returns the root's level and children. It adds
// the bytes it stores to *added.
func buildIndex(tx *bbolt.Tx, s *chunkStore, refs []chunkRef, added *int64) (int, []chunkRef, error) {
	level := 1
	for len(refs) > maxIndexRefs {
		var up []chunkRef
		start := 0
		for i, r := range refs {
			n := i + 1 - start
			if i+1 < len(refs) && n < maxIndexRefs && (n < minIndexRefs || !indexBoundary(level, r.first)) {
				continue
			}
			group := refs[start : i+1]
			id, size, err := s.put(tx, encodeIndex(level, group))
			if err != nil {
				return 0, nil, fmt.Errorf("store index node: %w", err)
			}
			*added += size
			count := 0
			for _, g := range group {
				count += g.count
			}
			up = append(up, chunkRef{first: group[0].first, id: id, count: count})
			start = i + 1
		}
		refs = up
		level++
	}
	return level, refs, nil
}

// loadIndexes reads and decodes the index nodes refs name, all of the given
// level, in read transactions of up to diffBatch nodes, and returns their
// children in order.
func (db *DB) loadIndexes(level int, refs []chunkRef) ([]chunkRef, error) {
	var out []chunkRef
	for len(refs) > 0 {
		batch := refs[:min(len(refs), diffBatch)]
		refs = refs[len(batch):]
		raws := make([][]byte, len(batch))
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketChunks)
			for i, r := range batch {
				raws[i] = bytes.Clone(b.Get(idKey(r.id)))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		db.indexReads.Add(int64(len(batch)))
		for i, raw := range raws {
			children, err := checkIndex(raw, level, batch[i].id)
			if err != nil {
				return nil, err
			}
			out = append(out, children...)
		}
	}
	return out, nil
}

// loadIndex reads and decodes one index node of the given level.
func (db *DB) loadIndex(level int, id uint64) ([]chunkRef, error) {
	return db.loadIndexes(level, []chunkRef{{id: id}})
}

// checkIndex decodes the index node raw, stored under id, and checks that
// it has the level its parent expects.
func checkIndex(raw []byte, level int, id uint64) ([]chunkRef, error) {
	if raw == nil {
		return nil, fmt.Errorf("index node %d: %w: missing", id, ErrCorrupt)
	}
	got, children, err := decodeIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("index node %d: %w", id, err)
	}
	if got != level {
		return nil, fmt.Errorf("index node %d: %w: level %d, its parent expects %d", id, ErrCorrupt, got, level)
	}
	return children, nil
}

// collectionView returns what a snapshot's collection's root holds: a
// full tree, and for a patch its entries over it; nil when the snapshot
// or collection is absent.
func (db *DB) collectionView(snap *Snapshot, collection string) (*collView, error) {
	if snap == nil {
		return nil, nil
	}
	c, ok := snap.Collections[collection]
	if !ok {
		return nil, nil
	}
	v, err := db.loadView(c.Root)
	if err != nil {
		return nil, fmt.Errorf("collection %s of snapshot %s: %w", collection, snap.ShortID(), err)
	}
	return v, nil
}

// chunkRefs returns the chunk list of the full tree under v (none for a
// nil v), reading every index node.
func (db *DB) chunkRefs(v *collView) ([]chunkRef, error) {
	if v == nil {
		return nil, nil
	}
	refs := v.refs
	for level := v.level - 1; level > 0; level-- {
		var err error
		if refs, err = db.loadIndexes(level, refs); err != nil {
			return nil, err
		}
	}
	return refs, nil
}

// collectionEntries returns an iterator over a snapshot's collection's
// entries, a patch applied to its base: one chunk read at a time.
func (db *DB) collectionEntries(snap *Snapshot, collection string) (entryIter, error) {
	v, err := db.collectionView(snap, collection)
	if err != nil {
		return nil, err
	}
	refs, err := db.chunkRefs(v)
	if err != nil {
		return nil, fmt.Errorf("collection %s of snapshot %s: %w", collection, snap.ShortID(), err)
	}
	it := entryIter(&streamIter{s: chunkStream{db: db, refs: refs}})
	if v != nil && v.patch != nil {
		it = newOverlay(it, &sliceChanges{ps: v.patch})
	}
	return it, nil
}
