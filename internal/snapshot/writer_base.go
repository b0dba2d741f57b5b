package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// A run begun with BeginFrom commits "base plus these changes": its Puts
// and Deletes are the objects that differ from base, a committed
// snapshot of the same workspace. Its commit builds each collection the
// run changed from base's chunks and the changes, in key order: a base
// chunk whose key range holds no change, met where a new chunk starts,
// and which ends where a full build would end it (on a boundary, or
// full), is kept as it is (its id, entry count and first key), any other is
// read and its entries merged with the changes into new chunks, cut as a
// full build cuts them (boundaries by key, maxChunkEntries). The chunks
// and roots are therefore those a run that Put every object of the new
// snapshot would build, and a collection the run did not touch keeps
// base's root (unless it is a patch over a tree no snapshot of the
// workspace holds as its own any more: it is then built again as a full
// tree, as a Put per object would). The cost is that of the changes and the chunks they
// touch, plus one read and decode per kept chunk, rather than a Put per object:
// offsite restore-db imports a workspace's history this way.
//
// Deletes wait in memory: a run that dies before its commit leaves only
// its pending Puts, which recovery discards as any interrupted run's.

// BeginFrom starts a run for base's workspace whose snapshot is base
// plus the changes Put and Deleted: Put adds or replaces an object,
// Delete removes one of base's. base must be a snapshot of this database
// (as Resolve or Commit returned it); its record must still be there when
// the run commits. A kind marked failed (Fail) keeps base's objects but
// those Deleted: the run says what differs, whatever it could read.
func (db *DB) BeginFrom(base *Snapshot, startedAt time.Time) (*Writer, error) {
	if base == nil {
		return nil, fmt.Errorf("%w: no base snapshot", ErrInvalid)
	}
	if err := db.checkBase(base); err != nil {
		return nil, err
	}
	w, err := db.Begin(base.Workspace, startedAt)
	if err != nil {
		return nil, err
	}
	b := *base
	b.Collections = maps.Clone(base.Collections)
	w.base, w.touched, w.deletes = &b, map[string]bool{}, map[string][][]byte{}
	return w, nil
}

// checkBase checks that base is the record of a snapshot of db, with the
// same trees.
func (db *DB) checkBase(base *Snapshot) error {
	return db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketSnapshots).Get([]byte(base.ID))
		if v == nil {
			return fmt.Errorf("base snapshot %s: %w", base.ShortID(), ErrNotFound)
		}
		var rec Snapshot
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: snapshot %s: %v", ErrCorrupt, base.ShortID(), err)
		}
		if rec.Workspace != base.Workspace || !maps.Equal(rec.Collections, base.Collections) {
			return fmt.Errorf("%w: base snapshot %s differs from its record", ErrInvalid, base.ShortID())
		}
		return nil
	})
}

// Delete removes the object filed under kind, parent and key in the run's
// base, if base holds one; an object Put under the same key in this run
// is kept, whatever the order of the calls. Only a run begun with
// BeginFrom takes deletes.
func (w *Writer) Delete(kind, parent, key string) error {
	if err := checkNames(kind, parent, key); err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, key, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.done:
		return ErrRunFinished
	case w.err != nil:
		return w.err
	case w.base == nil:
		return fmt.Errorf("delete %s %q: %w: the run has no base snapshot", kind, key, ErrInvalid)
	}
	coll := CollectionName(kind, parent)
	w.deletes[coll] = append(w.deletes[coll], sortKey(key))
	return nil
}

// baseBuild builds a based run's trees (see BeginFrom) on a treeBuild's
// chunk state, a budget of entries and chunks per transaction.
type baseBuild struct {
	*treeBuild
	base    *Snapshot
	names   []string // collections left to build, sorted
	touched map[string]bool
	deletes map[string][][]byte // sorted, each key once
	// The collection in progress (treeBuild.coll):
	baseRefs []chunkRef // base's chunks not yet passed
	baseEs   []entry    // entries of a base chunk being merged, not yet passed
	dels     [][]byte   // deletes not yet passed
	// psets are the entries a patched base's patch sets, not yet passed,
	// taken as puts older than the run's; its removals are in dels.
	psets     []patchEntry
	fromPatch bool // pendingNext's entry is psets[0]
}

// applyBasePatch takes the patch of a patched base collection as changes
// under the run's: its removals join the deletes, its other entries are
// puts unless the run deletes their key.
func (b *baseBuild) applyBasePatch(ps []patchEntry) {
	if len(ps) == 0 {
		return
	}
	runDels := b.dels
	var dels [][]byte
	for _, p := range ps {
		if p.id == 0 {
			dels = append(dels, p.key)
			continue
		}
		if _, found := slices.BinarySearchFunc(runDels, p.key, compareKeys); !found {
			b.psets = append(b.psets, p)
		}
	}
	dels = append(dels, runDels...)
	slices.SortFunc(dels, compareKeys)
	b.dels = slices.CompactFunc(dels, bytes.Equal)
}

// runChanges yields a based run's changes of one collection: its puts,
// and its deletes of keys it does not put.
type runChanges struct {
	puts   *pendingIter
	dels   [][]byte
	p      entry
	pOK    bool
	primed bool
}

func (r *runChanges) next() (patchEntry, bool, error) {
	if !r.primed {
		r.primed = true
		var err error
		if r.p, r.pOK, err = r.puts.next(); err != nil {
			return patchEntry{}, false, err
		}
	}
	for len(r.dels) > 0 && r.pOK && compareKeys(r.dels[0], r.p.key) == 0 {
		r.dels = r.dels[1:]
	}
	if len(r.dels) > 0 && (!r.pOK || compareKeys(r.dels[0], r.p.key) < 0) {
		d := r.dels[0]
		r.dels = r.dels[1:]
		return patchEntry{key: d}, true, nil
	}
	if !r.pOK {
		return patchEntry{}, false, nil
	}
	out := patchEntry{key: r.p.key, id: r.p.id}
	var err error
	r.p, r.pOK, err = r.puts.next()
	return out, true, err
}

// newBaseBuild checks that w's base is still committed and lists the
// collections to build. The caller holds db.gc (shared), so that base's
// trees stay until the commit has built its own.
func (w *Writer) newBaseBuild(tb *treeBuild) (*baseBuild, error) {
	if err := w.db.checkBase(w.base); err != nil {
		return nil, err
	}
	b := &baseBuild{treeBuild: tb, base: w.base, touched: w.touched, deletes: map[string][][]byte{}}
	set := map[string]bool{}
	for name := range w.base.Collections {
		set[name] = true
	}
	for name := range w.touched {
		set[name] = true
	}
	for name, keys := range w.deletes {
		set[name] = true
		keys = slices.Clone(keys)
		slices.SortFunc(keys, compareKeys)
		b.deletes[name] = slices.CompactFunc(keys, bytes.Equal)
	}
	b.names = slices.Sorted(maps.Keys(set))
	return b, nil
}

func (b *baseBuild) step(tx *bbolt.Tx, budget int) error {
	run := tx.Bucket(bucketPending).Bucket(b.run)
	if run == nil {
		return fmt.Errorf("run %s is no longer pending", b.run)
	}
	if b.merge == nil {
		var err error
		if b.merge, err = loadPending(run); err != nil {
			return err
		}
	}
	chunks := tx.Bucket(bucketChunks)
	for used := 0; ; {
		if b.coll == nil {
			if len(b.names) == 0 {
				b.done = true
				return nil
			}
			if used >= budget {
				return nil
			}
			name := b.names[0]
			b.names = b.names[1:]
			if !b.touched[name] && len(b.deletes[name]) == 0 && !b.deadBase(tx, b.base.Collections[name]) {
				b.result[name] = b.base.Collections[name]
				continue
			}
			b.coll, b.dels, b.baseEs, b.baseRefs, b.psets = []byte(name), b.deletes[name], nil, nil, nil
			var patch []patchEntry
			var view *collView
			c, inBase := b.base.Collections[name]
			if inBase {
				v, err := viewTx(tx, c.Root)
				if err == nil {
					b.baseRefs, err = refsTx(tx, v.base)
				}
				if err != nil {
					return fmt.Errorf("collection %s of snapshot %s: %w", name, b.base.ShortID(), err)
				}
				patch, view = v.patch, v
			}
			used++
			m := b.merge.clone()
			run := &runChanges{puts: &pendingIter{m: m, coll: b.coll}, dels: b.dels}
			var done bool
			var n int
			var err error
			if p, ok := b.prev[name]; ok && inBase && p.Root == c.Root && !b.wholeBasePatch {
				done, n, err = b.patchOver(tx, b.coll, m, view, b.baseRefs, run)
			} else {
				cur := newOverlay(newOverlay(&treeIterTx{chunks: chunks, refs: b.baseRefs}, &sliceChanges{patch}), run)
				done, n, err = b.patchFrom(tx, b.coll, m, cur)
			}
			if err != nil {
				return fmt.Errorf("collection %s: %w", name, err)
			}
			if done {
				b.coll = nil
				used += n
				continue
			}
			b.applyBasePatch(patch)
			continue
		}
		if used >= budget && len(b.cur) == 0 {
			return nil
		}
		n, err := b.next(tx, chunks)
		if err != nil {
			return fmt.Errorf("collection %s: %w", b.coll, err)
		}
		used += n
	}
}

// deadBase reports whether c's root is a patch over a tree that is no
// longer the own root of a snapshot of the workspace: the collection is
// then built again, as a full tree (see # Patches), though the run did
// not change it.
func (b *baseBuild) deadBase(tx *bbolt.Tx, c Collection) bool {
	if b.live == nil {
		return false
	}
	raw := tx.Bucket(bucketRoots).Get(c.Root[:])
	if !isPatch(raw) || len(raw) < 1+len(c.Root) {
		return false
	}
	var base Hash
	copy(base[:], raw[1:])
	return !b.live[base]
}

// next does one step of the collection in progress: it files one entry,
// keeps or reads one base chunk, or ends the collection. It returns the
// entries and chunks it passed.
func (b *baseBuild) next(tx *bbolt.Tx, chunks *bbolt.Bucket) (int, error) {
	pk, pid, pending := b.pendingNext()
	if len(b.baseEs) > 0 {
		e := b.baseEs[0]
		if pending && compareKeys(pk, e.key) <= 0 {
			if bytes.Equal(pk, e.key) {
				b.baseEs = b.baseEs[1:]
			}
			return 1, b.takePending(tx, pk, pid)
		}
		b.baseEs = b.baseEs[1:]
		b.skipDeletes(e.key)
		if len(b.dels) > 0 && bytes.Equal(b.dels[0], e.key) {
			b.dels = b.dels[1:]
			return 1, nil
		}
		return 1, b.add(tx, e)
	}
	if len(b.baseRefs) > 0 {
		r := b.baseRefs[0]
		if pending && compareKeys(pk, r.first) < 0 {
			return 1, b.takePending(tx, pk, pid)
		}
		var hi []byte // first key after the chunk; nil: the collection's end
		if len(b.baseRefs) > 1 {
			hi = b.baseRefs[1].first
		}
		b.skipDeletes(r.first)
		below := func(k []byte) bool { return hi == nil || compareKeys(k, hi) < 0 }
		changed := (pending && below(pk)) || (len(b.dels) > 0 && below(b.dels[0]))
		raw := chunks.Get(idKey(r.id))
		if raw == nil {
			return 0, fmt.Errorf("chunk %d: %w: missing", r.id, ErrCorrupt)
		}
		b.baseRefs = b.baseRefs[1:]
		es, err := decodeChunk(raw)
		if err == nil {
			err = checkChunkLine(es, r, hi)
		}
		if err != nil {
			return 0, fmt.Errorf("chunk %d: %w", r.id, err)
		}
		// Kept only where a full build would cut it: a chunk of an
		// older format, or cut by an older rule (format 5 cut one key
		// in 16), is rebuilt. Its interior holds no boundary of the
		// current rule, which keeps a subset of the old one's.
		if !changed && len(b.cur) == 0 && raw[0] == treeFormat && len(es) == r.count &&
			(len(es) == maxChunkEntries || boundary(es[len(es)-1].key)) {
			b.refs = append(b.refs, r)
			b.count += r.count
			return 1, nil
		}
		b.baseEs = es
		return 1, nil
	}
	if pending {
		return 1, b.takePending(tx, pk, pid)
	}
	if b.count == 0 && len(b.cur) == 0 {
		b.coll, b.refs = nil, nil // every object deleted: no collection
		return 0, nil
	}
	return 0, b.finish(tx)
}

// pendingNext returns the next pending entry of the collection in
// progress, if any.
// A patched base's entries (psets) come in key order with the run's,
// which win on the same key.
func (b *baseBuild) pendingNext() ([]byte, uint64, bool) {
	coll, key, id, ok := b.merge.peek()
	ok = ok && bytes.Equal(coll, b.coll)
	for len(b.psets) > 0 && ok && compareKeys(b.psets[0].key, key) == 0 {
		b.psets = b.psets[1:]
	}
	b.fromPatch = len(b.psets) > 0 && (!ok || compareKeys(b.psets[0].key, key) < 0)
	if b.fromPatch {
		return b.psets[0].key, b.psets[0].id, true
	}
	if !ok {
		return nil, 0, false
	}
	return key, id, true
}

func (b *baseBuild) takePending(tx *bbolt.Tx, key []byte, id uint64) error {
	if b.fromPatch {
		b.psets = b.psets[1:]
	} else {
		b.merge.take()
		if b.merge.err != nil {
			return b.merge.err
		}
	}
	return b.add(tx, entry{key: key, id: id})
}

// skipDeletes passes the deletes of keys before k, which base lacks.
func (b *baseBuild) skipDeletes(k []byte) {
	for len(b.dels) > 0 && compareKeys(b.dels[0], k) < 0 {
		b.dels = b.dels[1:]
	}
}

// add appends e to the chunk in progress and stores the chunk where a
// full build ends one.
func (b *baseBuild) add(tx *bbolt.Tx, e entry) error {
	b.cur = append(b.cur, e)
	if len(b.cur) < maxChunkEntries && !boundary(e.key) {
		return nil
	}
	return b.emit(tx)
}

// refsTx returns the chunk list of the tree under root, read in tx.
func refsTx(tx *bbolt.Tx, root Hash) ([]chunkRef, error) {
	raw := tx.Bucket(bucketRoots).Get(root[:])
	if raw == nil {
		return nil, fmt.Errorf("root %s: %w: missing", root.Short(), ErrCorrupt)
	}
	level, refs, err := decodeIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", root.Short(), err)
	}
	chunks := tx.Bucket(bucketChunks)
	for level--; level > 0; level-- {
		var next []chunkRef
		for _, r := range refs {
			children, err := checkIndex(chunks.Get(idKey(r.id)), level, r.id)
			if err != nil {
				return nil, err
			}
			next = append(next, children...)
		}
		refs = next
	}
	return refs, nil
}
