package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"go.etcd.io/bbolt"
)

// Patches (format 6; see # Trees). A collection's root is either a full
// tree's root (indexFormat) or a patch (patchFormat): the hash of a full
// tree's root, its base, and the entries that differ from it, sorted by
// key: a blob id, or a removal. A patch's base is never a patch, so a
// read goes one level deep at most.
const (
	// patchFormat is the leading byte of a patch record in the roots
	// bucket.
	patchFormat byte = 5
	// patchShare: a commit writes a patch when it holds at most 1/patchShare
	// of its base's entries, else a full tree.
	patchShare = 8
	// maxPatchEntries caps a patch whatever its base's size, so that a
	// read (which loads the whole patch) stays small.
	maxPatchEntries = 1 << 16
	// minPatchEntry is the fewest bytes a patch entry takes.
	minPatchEntry = 2
	// maxPatchDecoded caps the bytes a patch's keys decode to (keys
	// share prefixes, so a small record could decode to gigabytes);
	// maxPatchSize, a quarter of it, caps what a commit writes: beyond,
	// it writes a full tree (patchSize).
	maxPatchDecoded = 32 << 20
	maxPatchSize    = maxPatchDecoded / 4
)

// patchSize returns a bound on the bytes of a patch's body and of its
// decoded keys: each entry's key and at most 32 bytes of numbers.
func patchSize(ps []patchEntry) int {
	n := 0
	for _, p := range ps {
		n += len(p.key) + 32
	}
	return n
}

// patchEntry is one key a patch changes: id is its blob, 0 when the patch
// removes the key.
type patchEntry struct {
	key []byte
	id  uint64
}

// encodePatch encodes a patch over the tree whose root hashes to base:
// the format byte, the base hash, then one zstd frame (zstd's fastest
// level, as packs) of the entry count and, for each entry, its key
// (appendKey) and a uvarint: 0 for a removal, else the zigzag difference
// from the previous set entry's id (0 before the first), plus one. The
// frame takes 60% off a day's patches on the storage benchmark: a
// patch's ids come from the runs of the days it spans, interleaved, so
// their differences repeat a few patterns zstd finds.
func encodePatch(base Hash, ps []patchEntry) ([]byte, error) {
	b := make([]byte, 0, binary.MaxVarintLen64+len(ps)*5)
	b = binary.AppendUvarint(b, uint64(len(ps)))
	var prev []byte
	var prevID uint64
	for _, p := range ps {
		b = appendKey(b, prev, p.key)
		prev = p.key
		if p.id == 0 {
			b = append(b, 0)
			continue
		}
		d := int64(p.id - prevID)
		b = binary.AppendUvarint(b, (uint64(d<<1)^uint64(d>>63))+1)
		prevID = p.id
	}
	rec := make([]byte, 0, 1+len(base)+len(b)/2)
	rec = append(rec, patchFormat)
	rec = append(rec, base[:]...)
	return compressTo(rec, b)
}

// isPatch reports whether a root record is a patch.
func isPatch(raw []byte) bool { return len(raw) > 0 && raw[0] == patchFormat }

// decodePatch decodes a patch made by encodePatch: its base and entries
// (at least one and at most maxPatchEntries, keys strictly increasing
// and at most maxPatchDecoded bytes in all).
func decodePatch(raw []byte) (Hash, []patchEntry, error) {
	var base Hash
	if !isPatch(raw) || len(raw) < 1+len(base) {
		return base, nil, fmt.Errorf("%w: patch: unknown format or truncated", ErrCorrupt)
	}
	copy(base[:], raw[1:])
	body, err := decompress(raw[1+len(base):])
	if err != nil {
		return base, nil, fmt.Errorf("%w: patch: %v", ErrCorrupt, err)
	}
	d := &decoder{b: body}
	n := int(d.uvarint(uint64(min(len(d.b)/minPatchEntry, maxPatchEntries))))
	if d.err == nil && n == 0 {
		d.err = fmt.Errorf("%w: empty patch", ErrCorrupt)
	}
	ps := make([]patchEntry, 0, n)
	decoded := 0
	for i := 0; i < n && d.err == nil; i++ {
		k := d.key()
		v := d.uvarint(^uint64(0))
		if d.err != nil {
			break
		}
		if decoded += len(k); decoded > maxPatchDecoded {
			d.err = fmt.Errorf("%w: patch keys decode to more than %d bytes", ErrCorrupt, maxPatchDecoded)
			break
		}
		if v == 0 {
			ps = append(ps, patchEntry{key: k})
			continue
		}
		z := v - 1
		id := d.prevID + uint64(int64(z>>1)^-int64(z&1))
		if id == 0 {
			d.err = fmt.Errorf("%w: id 0 in patch", ErrCorrupt)
			break
		}
		d.prevID = id
		ps = append(ps, patchEntry{key: k, id: id})
	}
	if err := d.end("patch"); err != nil {
		return base, nil, err
	}
	return base, ps, nil
}

// collView is what a collection's root holds: a full tree (the root's
// level and children) and, for a patch, the patch's entries over it.
type collView struct {
	base  Hash // the full tree's root
	level int  // the full tree root's level (1: it lists chunks)
	refs  []chunkRef
	patch []patchEntry // nil for a full tree
}

// viewOf decodes the root record raw stored under h; base returns the
// record of a patch's base, decode decodes a patch (nil: decodePatch).
func viewOf(h Hash, raw []byte, base func(Hash) ([]byte, error), decode func(Hash, []byte) (Hash, []patchEntry, error)) (*collView, error) {
	v := &collView{base: h}
	if isPatch(raw) {
		if decode == nil {
			decode = func(_ Hash, raw []byte) (Hash, []patchEntry, error) { return decodePatch(raw) }
		}
		b, ps, err := decode(h, raw)
		if err != nil {
			return nil, fmt.Errorf("root %s: %w", h.Short(), err)
		}
		if raw, err = base(b); err != nil {
			return nil, fmt.Errorf("base %s of patch %s: %w", b.Short(), h.Short(), err)
		}
		if isPatch(raw) {
			return nil, fmt.Errorf("base %s of patch %s: %w: a patch", b.Short(), h.Short(), ErrCorrupt)
		}
		v.base, v.patch, h = b, ps, b
	}
	level, refs, err := decodeIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", h.Short(), err)
	}
	v.level, v.refs = level, refs
	return v, nil
}

// loadView reads a collection's root, and a patch's base, in one short
// read transaction; the patches decoded last come from db.patches.
func (db *DB) loadView(h Hash) (*collView, error) {
	var v *collView
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = viewTxDecode(tx, h, db.patches.decode)
		return err
	})
	return v, err
}

// viewTx reads a collection's root, and a patch's base, in tx.
func viewTx(tx *bbolt.Tx, h Hash) (*collView, error) { return viewTxDecode(tx, h, nil) }

// viewTxDecode is viewTx, with decode decoding a patch (nil:
// decodePatch).
func viewTxDecode(tx *bbolt.Tx, h Hash, decode func(Hash, []byte) (Hash, []patchEntry, error)) (*collView, error) {
	roots := tx.Bucket(bucketRoots)
	get := func(h Hash) ([]byte, error) {
		raw := roots.Get(h[:])
		if raw == nil {
			return nil, fmt.Errorf("%w: missing", ErrCorrupt)
		}
		return bytes.Clone(raw), nil
	}
	raw, err := get(h)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", h.Short(), err)
	}
	return viewOf(h, raw, get, decode)
}

// baseCount returns the entries under the full tree's root.
func (v *collView) baseCount() int {
	n := 0
	for _, r := range v.refs {
		n += r.count
	}
	return n
}

// patchLimit is the most entries a patch over a base of n entries may
// hold.
func patchLimit(n int) int { return min(n/patchShare, maxPatchEntries) }

// patchFind returns the patch entry of sk, if any.
func patchFind(ps []patchEntry, sk []byte) (patchEntry, bool) {
	i := sort.Search(len(ps), func(i int) bool { return compareKeys(ps[i].key, sk) >= 0 })
	if i < len(ps) && compareKeys(ps[i].key, sk) == 0 {
		return ps[i], true
	}
	return patchEntry{}, false
}

// entryIter yields a collection's entries in key order; ok is false at
// the end.
type entryIter interface {
	next() (e entry, ok bool, err error)
}

// treeIterTx yields the entries of a list of chunks, read in tx.
type treeIterTx struct {
	chunks *bbolt.Bucket
	refs   []chunkRef
	es     []entry
}

func (t *treeIterTx) next() (entry, bool, error) {
	for len(t.es) == 0 {
		if len(t.refs) == 0 {
			return entry{}, false, nil
		}
		r := t.refs[0]
		t.refs = t.refs[1:]
		raw := t.chunks.Get(idKey(r.id))
		if raw == nil {
			return entry{}, false, fmt.Errorf("chunk %d: %w: missing", r.id, ErrCorrupt)
		}
		es, err := decodeChunk(raw)
		if err != nil {
			return entry{}, false, fmt.Errorf("chunk %d: %w", r.id, err)
		}
		t.es = es
	}
	e := t.es[0]
	t.es = t.es[1:]
	return e, true, nil
}

// sortedIter yields the entries of it, and fails when they are not in
// increasing key order: each chunk checks its own order as it decodes,
// not that it follows the chunk before.
type sortedIter struct {
	it   entryIter
	prev []byte
	some bool
}

func (s *sortedIter) next() (entry, bool, error) {
	e, ok, err := s.it.next()
	if err != nil || !ok {
		return e, ok, err
	}
	if s.some && compareKeys(s.prev, e.key) >= 0 {
		return entry{}, false, fmt.Errorf("%w: keys out of order across chunks", ErrCorrupt)
	}
	s.prev, s.some = e.key, true
	return e, true, nil
}

// streamIter yields the entries of a list of chunks, each read in its own
// short transaction.
type streamIter struct{ s chunkStream }

func (t *streamIter) next() (entry, bool, error) {
	e, err := t.s.peek()
	if err != nil || e == nil {
		return entry{}, false, err
	}
	out := *e
	t.s.next()
	return out, true, nil
}

// changeIter yields changes in key order: an id, or 0 for a removal.
type changeIter interface {
	next() (p patchEntry, ok bool, err error)
}

// sliceChanges yields a patch's entries.
type sliceChanges struct{ ps []patchEntry }

func (s *sliceChanges) next() (patchEntry, bool, error) {
	if len(s.ps) == 0 {
		return patchEntry{}, false, nil
	}
	p := s.ps[0]
	s.ps = s.ps[1:]
	return p, true, nil
}

// overlay yields the entries of lower with the changes of upper applied.
type overlay struct {
	lower  entryIter
	upper  changeIter
	e      entry
	p      patchEntry
	eOK    bool
	pOK    bool
	primed bool
}

func newOverlay(lower entryIter, upper changeIter) *overlay {
	return &overlay{lower: lower, upper: upper}
}

func (o *overlay) next() (entry, bool, error) {
	var err error
	if !o.primed {
		o.primed = true
		if o.e, o.eOK, err = o.lower.next(); err != nil {
			return entry{}, false, err
		}
		if o.p, o.pOK, err = o.upper.next(); err != nil {
			return entry{}, false, err
		}
	}
	for o.eOK || o.pOK {
		c := 0
		switch {
		case !o.pOK:
			c = -1
		case !o.eOK:
			c = 1
		default:
			c = compareKeys(o.e.key, o.p.key)
		}
		if c < 0 {
			out := o.e
			o.e, o.eOK, err = o.lower.next()
			return out, true, err
		}
		p := o.p
		if o.p, o.pOK, err = o.upper.next(); err != nil {
			return entry{}, false, err
		}
		if c == 0 {
			if o.e, o.eOK, err = o.lower.next(); err != nil {
				return entry{}, false, err
			}
		}
		if p.id != 0 {
			return entry{key: p.key, id: p.id}, true, nil
		}
	}
	return entry{}, false, nil
}

// computePatch merge-walks a collection's new entries against a full
// tree's and returns the entries that differ, with the number of new
// entries; ok is false, and the walk stops, once more than limit differ.
func computePatch(cur, ref entryIter, limit int) (ps []patchEntry, count int, ok bool, err error) {
	a, aOK, err := cur.next()
	if err != nil {
		return nil, 0, false, err
	}
	b, bOK, err := ref.next()
	if err != nil {
		return nil, 0, false, err
	}
	for aOK || bOK {
		c := 0
		switch {
		case !bOK:
			c = -1
		case !aOK:
			c = 1
		default:
			c = compareKeys(a.key, b.key)
		}
		switch {
		case c < 0:
			ps = append(ps, patchEntry{key: bytes.Clone(a.key), id: a.id})
		case c > 0:
			ps = append(ps, patchEntry{key: bytes.Clone(b.key)})
		case a.id != b.id:
			ps = append(ps, patchEntry{key: bytes.Clone(a.key), id: a.id})
		}
		if len(ps) > limit {
			return nil, 0, false, nil
		}
		if c <= 0 {
			count++
			if a, aOK, err = cur.next(); err != nil {
				return nil, 0, false, err
			}
		}
		if c >= 0 {
			if b, bOK, err = ref.next(); err != nil {
				return nil, 0, false, err
			}
		}
	}
	return ps, count, true, nil
}

// treeCursor looks keys up in a full tree, in increasing key order,
// reading each index node and chunk on the way once.
type treeCursor struct {
	db    *DB
	level int // the root's children's level (0: chunks)
	root  []chunkRef
	nodes map[uint64][]chunkRef // index nodes read, by id (the last per level)
	last  map[int]uint64
	chunk uint64
	es    []entry
}

func newTreeCursor(db *DB, v *collView) *treeCursor {
	return &treeCursor{db: db, level: v.level - 1, root: v.refs, nodes: map[uint64][]chunkRef{}, last: map[int]uint64{}}
}

// get returns the blob id of sk in the tree, 0 when absent.
func (c *treeCursor) get(sk []byte) (uint64, error) {
	refs := c.root
	for level := c.level; ; level-- {
		i := sort.Search(len(refs), func(i int) bool { return compareKeys(refs[i].first, sk) > 0 }) - 1
		if i < 0 {
			return 0, nil
		}
		id := refs[i].id
		if level == 0 {
			if c.es == nil || c.chunk != id {
				es, err := c.db.loadChunk(id)
				if err != nil {
					return 0, err
				}
				c.chunk, c.es = id, es
			}
			j := sort.Search(len(c.es), func(j int) bool { return compareKeys(c.es[j].key, sk) >= 0 })
			if j < len(c.es) && compareKeys(c.es[j].key, sk) == 0 {
				return c.es[j].id, nil
			}
			return 0, nil
		}
		children, ok := c.nodes[id]
		if !ok {
			var err error
			if children, err = c.db.loadIndex(level, id); err != nil {
				return 0, err
			}
			if old, ok := c.last[level]; ok {
				delete(c.nodes, old)
			}
			c.nodes[id], c.last[level] = children, id
		}
		refs = children
	}
}

// clone returns a merge at the same place that m can be read on without
// moving: its readers are copies, with keys of their own.
func (m *pendingMerge) clone() *pendingMerge {
	c := &pendingMerge{err: m.err, h: make(readerHeap, len(m.h))}
	for i, r := range m.h {
		cp := *r
		cp.d.keys = nil
		c.h[i] = &cp
	}
	return c
}

// pendingIter yields a merge's entries of one collection.
type pendingIter struct {
	m    *pendingMerge
	coll []byte
}

func (p *pendingIter) next() (entry, bool, error) {
	coll, key, id, ok := p.m.peek()
	if p.m.err != nil {
		return entry{}, false, p.m.err
	}
	if !ok || !bytes.Equal(coll, p.coll) {
		return entry{}, false, nil
	}
	p.m.take()
	if p.m.err != nil {
		return entry{}, false, p.m.err
	}
	return entry{key: key, id: id}, true, nil
}

// storePatch stores the collection's root as a patch over base (or base
// itself when nothing differs) and returns its hash and the bytes added.
func storePatch(tx *bbolt.Tx, base Hash, ps []patchEntry) (Hash, int64, error) {
	if len(ps) == 0 {
		return base, 0, nil
	}
	raw, err := encodePatch(base, ps)
	if err != nil {
		return Hash{}, 0, err
	}
	h := hashOf(raw)
	roots := tx.Bucket(bucketRoots)
	if roots.Get(h[:]) != nil {
		return h, 0, nil
	}
	if err := roots.Put(h[:], raw); err != nil {
		return h, 0, fmt.Errorf("store patch: %w", err)
	}
	return h, int64(len(h) + len(raw)), nil
}
