package snapshot

import "fmt"

// diffBatch is how many differences DiffCollection collects before it
// looks up their blob hashes (one read transaction) and reports them.
const diffBatch = 256

// DiffCollection compares a collection in two snapshots and calls fn, in key
// order, for each key added (old is zero), removed (new is zero) or changed.
// Subtrees (index nodes and chunks) the two trees share hold the same
// entries and are never read, at any level, so the cost follows what
// changed, not the collection's size. A nil snapshot,
// like an absent collection, counts as empty. fn runs outside any
// transaction; an error from fn stops the diff and is returned. A side
// whose blob is damaged and whose hash is unknown is UnknownHash (see
// Walk): the key is reported, its content unknown, not as changed.
func (db *DB) DiffCollection(a, b *Snapshot, collection string, fn func(key string, old, new Hash) error) error {
	ca, okA := collectionOf(a, collection)
	cb, okB := collectionOf(b, collection)
	if okA && okB && ca.Root == cb.Root {
		return nil
	}
	refsA, refsB, err := db.differentChunks(a, b, collection)
	if err != nil {
		return err
	}
	sa := &chunkStream{db: db, refs: refsA}
	sb := &chunkStream{db: db, refs: refsB}
	out := &diffOut{db: db, fn: fn}
	for {
		ea, err := sa.peek()
		if err != nil {
			return fmt.Errorf("diff %s: %w", collection, err)
		}
		eb, err := sb.peek()
		if err != nil {
			return fmt.Errorf("diff %s: %w", collection, err)
		}
		var d difference
		switch {
		case ea == nil && eb == nil:
			return diffError(collection, out.flush())
		case eb == nil || (ea != nil && compareKeys(ea.key, eb.key) < 0):
			d = difference{key: ea.key, old: ea.id}
			sa.next()
		case ea == nil || compareKeys(ea.key, eb.key) > 0:
			d = difference{key: eb.key, new: eb.id}
			sb.next()
		default:
			d = difference{key: ea.key, old: ea.id, new: eb.id}
			sa.next()
			sb.next()
			if d.old == d.new {
				continue // the same blob id is the same content
			}
		}
		if err := out.add(d); err != nil {
			return diffError(collection, err)
		}
	}
}

// difference is one key that differs: blob ids, 0 on the side it is absent.
type difference struct {
	key      []byte
	old, new uint64
}

// diffOut buffers differences and reports them in batches, with the blob
// hashes of a batch looked up in one read transaction.
type diffOut struct {
	db  *DB
	fn  func(key string, old, new Hash) error
	buf []difference
}

// userError marks an error returned by the caller's function, which
// DiffCollection returns unwrapped.
type userError struct{ err error }

func (e userError) Error() string { return e.err.Error() }

// diffError returns fn's error as it is, and wraps the others.
func diffError(collection string, err error) error {
	if ue, ok := err.(userError); ok {
		return ue.err
	}
	if err != nil {
		return fmt.Errorf("diff %s: %w", collection, err)
	}
	return nil
}

func (o *diffOut) add(d difference) error {
	o.buf = append(o.buf, d)
	if len(o.buf) < diffBatch {
		return nil
	}
	return o.flush()
}

func (o *diffOut) flush() error {
	var ids []uint64
	for _, d := range o.buf {
		for _, id := range []uint64{d.old, d.new} {
			if id != 0 {
				ids = append(ids, id)
			}
		}
	}
	hashes, err := o.db.blobHashes(ids)
	if err != nil {
		return err
	}
	for _, d := range o.buf {
		var oldH, newH Hash
		if d.old != 0 {
			oldH, hashes = hashes[0], hashes[1:]
		}
		if d.new != 0 {
			newH, hashes = hashes[0], hashes[1:]
		}
		k, err := keyText(d.key)
		if err != nil {
			return err
		}
		if err := o.fn(k, oldH, newH); err != nil {
			return userError{err}
		}
	}
	o.buf = o.buf[:0]
	return nil
}

func collectionOf(s *Snapshot, name string) (Collection, bool) {
	if s == nil {
		return Collection{}, false
	}
	c, ok := s.Collections[name]
	return c, ok
}

// differentChunks returns the chunks of a collection in two snapshots that
// are not in both. It walks both trees down from their roots a level at a
// time (the taller tree first, until both are as tall), dropping at each
// level the children the two lists share, so shared subtrees are never
// read.
func (db *DB) differentChunks(a, b *Snapshot, collection string) ([]chunkRef, []chunkRef, error) {
	levelA, refsA, err := db.collectionTree(a, collection)
	if err != nil {
		return nil, nil, err
	}
	levelB, refsB, err := db.collectionTree(b, collection)
	if err != nil {
		return nil, nil, err
	}
	for {
		refsA, refsB = dropShared(refsA, refsB)
		if levelA == 0 && levelB == 0 {
			return refsA, refsB, nil
		}
		top := max(levelA, levelB)
		if levelA == top {
			if refsA, err = db.loadIndexes(levelA, refsA); err != nil {
				return nil, nil, fmt.Errorf("diff %s: %w", collection, err)
			}
			levelA--
		}
		if levelB == top {
			if refsB, err = db.loadIndexes(levelB, refsB); err != nil {
				return nil, nil, fmt.Errorf("diff %s: %w", collection, err)
			}
			levelB--
		}
	}
}

// dropShared removes the children (chunks or index nodes) present in both
// lists. An id names one content, so a shared child holds the same entries
// on both sides, and a key lives under exactly one child of a level of a
// tree, so a shared child's keys are under no other child of either list:
// they are unchanged, and the rest differ only among the remaining
// children.
func dropShared(a, b []chunkRef) ([]chunkRef, []chunkRef) {
	inA := make(map[uint64]bool, len(a))
	for _, r := range a {
		inA[r.id] = true
	}
	inB := make(map[uint64]bool, len(b))
	var onlyB []chunkRef
	for _, r := range b {
		inB[r.id] = true
		if !inA[r.id] {
			onlyB = append(onlyB, r)
		}
	}
	var onlyA []chunkRef
	for _, r := range a {
		if !inB[r.id] {
			onlyA = append(onlyA, r)
		}
	}
	return onlyA, onlyB
}

// chunkStream yields the entries of a list of chunks in order, loading one
// chunk at a time.
type chunkStream struct {
	db      *DB
	refs    []chunkRef
	entries []entry
	i       int
}

func (s *chunkStream) peek() (*entry, error) {
	for s.i >= len(s.entries) {
		if len(s.refs) == 0 {
			return nil, nil
		}
		es, err := s.db.loadChunk(s.refs[0].id)
		if err != nil {
			return nil, err
		}
		s.refs, s.entries, s.i = s.refs[1:], es, 0
	}
	return &s.entries[s.i], nil
}

func (s *chunkStream) next() { s.i++ }
