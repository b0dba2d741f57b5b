package offsite

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"
)

// A restore does not wait for every entry given by chunk (format 3) to
// be resolved before its walks start: that would hold back every data
// pack until the tree packs those entries name are read, which are the
// tree packs the walks read anyway. The Restorer loads the index files,
// fills in what the local cache of resolved refs holds, and resolves the
// rest chunk by chunk as its walk of the snapshots' trees (discover)
// reads them: a chunk's entries are resolved before the objects it names
// are marked, so the data pack of an object the trees name starts
// downloading as soon as the chunk that names it is read, as in format
// 2. Once every tree is read, the chunks that no walk reached but some
// entry names are read as resolve reads them, and the objects marked
// before their entries were resolved are marked again (their packs
// queued then).
//
// The index itself does not change while the restore runs: the refs
// resolved meanwhile are kept apart (lateRes), under a lock, since the
// calls that read objects look them up while discover adds them. An
// object is found through its ref, and its bytes must hash to that ref:
// prepare checks every object of a pack whose ref is known then, and
// the look-up of an object (objectID, CollectionObjects, Raw) checks the
// id prepare computed against the ref it asked for, which covers the
// objects whose entries were resolved after their pack was prepared;
// checkLate checks those once every pack is prepared, needed or not.

// lateRes is what a Restorer resolved of the index's entries given by
// chunk.
type lateRes struct {
	mu   sync.RWMutex
	refs *refSlots         // resolved refs the index lacks (the first place each is resolved to)
	at   map[uint32][]Ref  // by pack place: each blob's resolved ref (zero: not, or not yet); fixed keys
	file map[uint32]ID     // by pack place: the index file the pack was added from; read-only
	by   map[Ref][]pending // by chunk: the entries it resolves (discover's alone)
	bad  map[uint32]error  // by pack place: the first entry that cannot be resolved (discover's alone)

	indexed refFilter // the refs of the index's map (idx.blobs), which resolved refs are not added to

	// last holds, by entry of the chunk resolveChunk read last, the place
	// lookup gives each entry it resolved (ok), so that discover marks
	// those objects without looking them up again (discover's alone).
	last []lastPlace

	cached map[ID]map[ID][]Ref // what the local cache held, by index file
	order  []uint32            // the packs left to resolve, in the index's order
	marked []Ref               // objects marked before their entries were resolved
}

// lastPlace is an entry's place as resolveChunk found it.
type lastPlace struct {
	at slot
	ok bool
}

// pending is an index entry given by chunk: blob blob of the pack at
// place pack is entry entry of the chunk.
type pending struct {
	pack, blob, entry uint32
}

// initLate fills in what the cache holds and notes the rest by chunk.
func (rs *Restorer) initLate() {
	x, l := rs.idx, &rs.late
	l.at, l.file, l.by, l.bad = map[uint32][]Ref{}, map[uint32]ID{}, map[Ref][]pending{}, map[uint32]error{}
	l.cached = map[ID]map[ID][]Ref{}
	n := 0 // the entries left to resolve: l.refs is made for them once
	// A chunk's entries come in runs (push writes the objects a chunk
	// names together): each run goes into l.by at once, where a map
	// assignment and an append an entry were most of this (a million
	// at a million objects, before discover can start).
	var cur Ref
	var run []pending
	flush := func() {
		if len(run) > 0 {
			l.by[cur] = append(l.by[cur], run...)
			run = run[:0]
		}
	}
	for _, u := range x.unresolved {
		c, ok := l.cached[u.file]
		if !ok {
			c = rs.r.loadResolved(u.file)
			l.cached[u.file] = c
		}
		if x.fill(u.pack, c[x.packList[u.pack]]) {
			continue
		}
		pack := x.packList[u.pack]
		blobs, from := x.packs[pack], x.from[pack]
		l.at[u.pack] = make([]Ref, len(blobs))
		l.file[u.pack] = u.file
		l.order = append(l.order, u.pack)
		for i, f := range from {
			if f.OK && blobs[i].Ref == (Ref{}) {
				if f.Chunk != cur {
					flush()
					cur = f.Chunk
				}
				run = append(run, pending{u.pack, uint32(i), f.Entry})
				n++
			}
		}
	}
	flush()
	l.refs = newRefSlots(n) // instead of growing to a million entries
	x.unresolved = nil
	l.indexed = newRefFilter(x.blobs) // x.blobs does not change from here on
}

// refFilter tells, without a look-up in the index's map, that a ref is
// not in it: a bit set with two bits set for each ref the map holds,
// 16 to 32 bits a ref, so that a ref the map lacks finds both set with a
// chance of 1 in 70 at most. resolveChunk asks whether the index holds
// each ref it resolves (an object given explicitly by another pack's
// entry), nearly always in vain, and a miss in that map (135,000 tree
// chunks and objects at a million objects, beyond the processor's
// caches) cost as much as the insertion of the ref that followed.
type refFilter []uint64

func newRefFilter(refs map[Ref]slot) refFilter {
	n := 64
	for n < 16*len(refs) {
		n *= 2
	}
	f := make(refFilter, n/64)
	for r := range refs {
		a, b := f.bits(r)
		f[a/64] |= 1 << (a % 64)
		f[b/64] |= 1 << (b % 64)
	}
	return f
}

// bits returns the two bits of r: from the first and the last of the 8
// bytes every ref starts with (a data blob's short name has no more),
// random for the refs of hashes.
func (f refFilter) bits(r Ref) (uint64, uint64) {
	x, m := binary.LittleEndian.Uint64(r[:8]), uint64(len(f)*64-1)
	return x & m, bits.RotateLeft64(x, 32) & m
}

// mayHold reports whether the index's map may hold r: false only when
// it does not.
func (f refFilter) mayHold(r Ref) bool {
	a, b := f.bits(r)
	return f[a/64]&(1<<(a%64)) != 0 && f[b/64]&(1<<(b%64)) != 0
}

// lookup returns the place of the object whose ref is ref, as the index
// or the entries resolved so far give it.
func (rs *Restorer) lookup(ref Ref) (slot, bool) {
	// The two are disjoint (resolveChunk adds no ref the index holds),
	// so the order of the look-ups does not change the answer. The
	// index's map is asked first only when its filter may hold the ref:
	// nearly every data blob of a format-4 target is given by chunk, and
	// a miss in the resolved refs' table (a probe along its entries)
	// costs more than one in a map.
	if rs.late.indexed.mayHold(ref) {
		if s, ok := rs.idx.blobs[ref]; ok {
			return s, true
		}
	}
	rs.late.mu.RLock()
	s, ok := rs.late.refs.get(ref)
	rs.late.mu.RUnlock()
	return s, ok
}

// resolvedRefs returns a copy of the refs resolved so far for the blobs
// of the pack at place pack (zero while unresolved), if the index gives
// them by chunk, and whether it does.
func (rs *Restorer) resolvedRefs(pack uint32) ([]Ref, bool) {
	refs, ok := rs.late.at[pack]
	if !ok || refs == nil {
		return nil, false
	}
	rs.late.mu.RLock()
	defer rs.late.mu.RUnlock()
	return slices.Clone(refs), true
}

// resolveChunk resolves the entries chunk ref c, decoded as ch, gives.
func (rs *Restorer) resolveChunk(c Ref, ch chunk) {
	l := &rs.late
	l.last = l.last[:0]
	ps, ok := l.by[c]
	if !ok {
		return
	}
	delete(l.by, c)
	es := chunkEntries(ch)
	if cap(l.last) < len(es) {
		l.last = make([]lastPlace, 0, max(len(es), 64))
	}
	l.last = l.last[:len(es)]
	clear(l.last)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if int(p.entry) >= len(es) || !es[p.entry].blob {
			if l.bad[p.pack] == nil {
				l.bad[p.pack] = fmt.Errorf("%w: blob %d of data/%s: entry %d of tree chunk %x names no object", ErrCorrupt, p.blob, rs.idx.packList[p.pack].Short(), p.entry, c[:6])
			}
			continue
		}
		ref := es[p.entry].ref
		l.at[p.pack][p.blob] = ref
		if l.indexed.mayHold(ref) {
			if at, ok := rs.idx.blobs[ref]; ok {
				l.last[p.entry] = lastPlace{at, true}
				continue // found already
			}
		}
		if rs.idx.gone[rs.idx.packList[p.pack]] {
			continue // in a missing or damaged pack
		}
		l.last[p.entry] = lastPlace{l.refs.firstOf(ref, slot{p.pack, p.blob}), true}
	}
}

// lastPlace returns the place of entry i of the chunk resolveChunk read
// last, if it resolved that entry: what lookup would give (l.refs keeps
// the first place of a ref and only discover adds to it; the index's
// map does not change).
func (l *lateRes) lastPlace(i int) (slot, bool) {
	if i < len(l.last) && l.last[i].ok {
		return l.last[i].at, true
	}
	return slot{}, false
}

// resolveRest reads the chunks that entries still name (none of the
// walks reached them), resolves their entries, logs those that cannot
// be, caches the refs of each index file all of whose entries resolved,
// and marks again the objects marked before they were found.
func (rs *Restorer) resolveRest(ctx context.Context) error {
	l := &rs.late
	// Only initLate and this read the entries' sources (prepare reads
	// l.at): they go once this returns.
	defer clear(rs.idx.from)
	if len(l.order) == 0 {
		return nil
	}
	var missing []Ref
	seen := map[Ref]bool{}
	for _, pi := range l.order {
		for _, f := range rs.idx.from[rs.idx.packList[pi]] {
			if _, ok := l.by[f.Chunk]; ok && f.OK && !seen[f.Chunk] {
				seen[f.Chunk] = true
				missing = append(missing, f.Chunk)
			}
		}
	}
	rs.trees.preload(ctx, missing)
	for _, c := range missing {
		ch, err := rs.trees.refs(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for _, p := range l.by[c] {
				if l.bad[p.pack] == nil {
					l.bad[p.pack] = fmt.Errorf("%w: blob %d of data/%s: its tree chunk %x: %v", ErrCorrupt, p.blob, rs.idx.packList[p.pack].Short(), c[:6], err)
				}
			}
			delete(l.by, c)
			continue
		}
		rs.resolveChunk(c, ch)
	}
	badFile := map[ID]bool{}
	for _, pi := range l.order {
		if err := l.bad[pi]; err != nil {
			badFile[l.file[pi]] = true
			rs.r.opts.Logger.Warn("offsite: an index entry cannot be resolved; run offsite verify", "object", "index/"+l.file[pi].String(), "err", err)
		}
	}
	// Cache what was resolved, per index file, unless something of it
	// could not be (as resolve does).
	byFile := map[ID][]IndexPack{}
	l.mu.RLock()
	for _, pi := range l.order {
		f := l.file[pi]
		if badFile[f] {
			continue
		}
		pack := rs.idx.packList[pi]
		blobs := append([]PackedBlob(nil), rs.idx.packs[pack]...)
		for i, ref := range l.at[pi] {
			if ref != (Ref{}) {
				blobs[i].Ref = ref
			}
		}
		byFile[f] = append(byFile[f], IndexPack{Pack: pack, Blobs: blobs, From: rs.idx.from[pack]})
	}
	l.mu.RUnlock()
	for f, packs := range byFile {
		rs.r.saveResolved(f, append(packsOf(l.cached[f]), packs...))
	}
	marked := l.marked
	l.marked = nil
	for _, ref := range marked {
		if err := rs.mark(ctx, ref); err != nil {
			return err
		}
	}
	return nil
}

// checkLate checks, once every pack is prepared (and so every entry
// resolved), the objects of each pack whose entries were resolved after
// the pack was prepared and that no look-up checked: as prepare does,
// every object of a prepared pack must hash to its ref, needed or not.
func (rs *Restorer) checkLate() error {
	rs.late.mu.RLock()
	defer rs.late.mu.RUnlock()
	for i := range rs.packs {
		ps := rs.packs[i].Load()
		if ps == nil || !ps.ok {
			continue
		}
		refs, ok := rs.late.at[ps.pack]
		if !ok {
			continue
		}
		ids := make([]byte, ps.end-ps.ids)
		if _, err := rs.tmp.ReadAt(ids, ps.ids); err != nil {
			return err
		}
		for j, ref := range refs {
			var id ID
			copy(id[:], ids[j*len(id):])
			if ref != (Ref{}) && !id.named(ref) {
				return fmt.Errorf("%w: data/%s: object %x does not hash to its id", ErrCorrupt, rs.idx.packList[ps.pack].Short(), ref[:6])
			}
		}
	}
	return nil
}
