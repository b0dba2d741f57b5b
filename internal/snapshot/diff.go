package snapshot

import "fmt"

// diffBatch is how many differences DiffCollection collects before it
// looks up their blob hashes (one read transaction) and reports them.
const diffBatch = 256

// DiffCollection compares a collection in two snapshots and calls fn, in key
// order, for each key added (old is zero), removed (new is zero) or changed.
// Subtrees (index nodes and chunks) the two trees share hold the same
// entries and are never read, at any level, so the cost follows what
// changed, not the collection's size. A patched collection (see # Trees)
// is its base's tree, compared so, with the patch's keys on top; a key
// one patch holds and the other side's tree shares is looked up in the
// shared tree. A nil snapshot,
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
	va, err := db.collectionView(a, collection)
	if err != nil {
		return err
	}
	vb, err := db.collectionView(b, collection)
	if err != nil {
		return err
	}
	refsA, refsB, err := db.differentChunks(va, vb)
	if err != nil {
		return fmt.Errorf("diff %s: %w", collection, err)
	}
	bases := &baseDiffs{a: chunkStream{db: db, refs: refsA}, b: chunkStream{db: db, refs: refsB}}
	var pa, pb []patchEntry
	var shared *treeCursor // the trees agree on keys outside bases' differences
	if va != nil && vb != nil {
		pa, pb = va.patch, vb.patch
		shared = newTreeCursor(db, va)
	} else if va != nil {
		pa = va.patch
	} else if vb != nil {
		pb = vb.patch
	}
	out := &diffOut{db: db, fn: fn}
	bd, bdOK, err := bases.next()
	for {
		if err != nil {
			return fmt.Errorf("diff %s: %w", collection, err)
		}
		var k []byte
		if bdOK {
			k = bd.key
		}
		if len(pa) > 0 && (k == nil || compareKeys(pa[0].key, k) < 0) {
			k = pa[0].key
		}
		if len(pb) > 0 && (k == nil || compareKeys(pb[0].key, k) < 0) {
			k = pb[0].key
		}
		if k == nil {
			return diffError(collection, out.flush())
		}
		inBases := bdOK && compareKeys(bd.key, k) == 0
		inA := len(pa) > 0 && compareKeys(pa[0].key, k) == 0
		inB := len(pb) > 0 && compareKeys(pb[0].key, k) == 0
		var d difference
		d.key = k
		switch {
		case inBases:
			d.old, d.new = bd.old, bd.new
			bd, bdOK, err = bases.next()
		case !(inA && inB) && shared != nil:
			id, gerr := shared.get(k)
			if gerr != nil {
				return fmt.Errorf("diff %s: %w", collection, gerr)
			}
			d.old, d.new = id, id
		}
		if inA {
			d.old, pa = pa[0].id, pa[1:]
		}
		if inB {
			d.new, pb = pb[0].id, pb[1:]
		}
		if d.old == d.new {
			continue // the same blob id is the same content
		}
		if aerr := out.add(d); aerr != nil {
			return diffError(collection, aerr)
		}
	}
}

// baseDiffs yields the keys whose ids differ between two lists of chunks:
// 0 on the side a key is absent.
type baseDiffs struct{ a, b chunkStream }

func (s *baseDiffs) next() (difference, bool, error) {
	for {
		ea, err := s.a.peek()
		if err != nil {
			return difference{}, false, err
		}
		eb, err := s.b.peek()
		if err != nil {
			return difference{}, false, err
		}
		switch {
		case ea == nil && eb == nil:
			return difference{}, false, nil
		case eb == nil || (ea != nil && compareKeys(ea.key, eb.key) < 0):
			s.a.next()
			return difference{key: ea.key, old: ea.id}, true, nil
		case ea == nil || compareKeys(ea.key, eb.key) > 0:
			s.b.next()
			return difference{key: eb.key, new: eb.id}, true, nil
		}
		s.a.next()
		s.b.next()
		if ea.id != eb.id {
			return difference{key: ea.key, old: ea.id, new: eb.id}, true, nil
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

// differentChunks returns the chunks of two full trees (a nil view is
// empty) that are not in both. It walks both trees down from their roots a
// level at a time (the taller tree first, until both are as tall),
// dropping at each level the children the two lists share, so shared
// subtrees are never read.
func (db *DB) differentChunks(va, vb *collView) ([]chunkRef, []chunkRef, error) {
	var levelA, levelB int
	var refsA, refsB []chunkRef
	if va != nil {
		levelA, refsA = va.level-1, va.refs
	}
	if vb != nil {
		levelB, refsB = vb.level-1, vb.refs
	}
	var err error
	for {
		refsA, refsB = dropShared(refsA, refsB)
		if levelA == 0 && levelB == 0 {
			return refsA, refsB, nil
		}
		top := max(levelA, levelB)
		if levelA == top {
			if refsA, err = db.loadIndexes(levelA, refsA); err != nil {
				return nil, nil, err
			}
			levelA--
		}
		if levelB == top {
			if refsB, err = db.loadIndexes(levelB, refsB); err != nil {
				return nil, nil, err
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
