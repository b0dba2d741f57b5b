package snapshot

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// patchOver is patchFrom for a based run's collection whose base root is
// also the root of the workspace's latest snapshot (offsite restore-db
// commits each snapshot of a chain on the one committed just before it):
// the new entries are then the full tree under v with v's patch and the
// run's changes (run) applied, and the patch over that tree is the
// changes that differ from it. patchFrom finds them by reading that tree
// twice, once under the new entries and once to compare them with, every
// chunk decoded each time (0.2 s a snapshot of a collection of a million
// objects, the most of restore-db's time after the first snapshot);
// patchOver reads the tree once, and only the chunks whose key range
// holds a change: the others count their entries as their reference
// says. The patch, its count and the choice of a patch or a full tree
// are patchFrom's (TestBeginFromPatchOver); a damaged chunk it reads makes
// the collection a full tree, as in patchFrom, and one it does not read
// is not noticed.
func (b *treeBuild) patchOver(tx *bbolt.Tx, coll []byte, m *pendingMerge, v *collView, refs []chunkRef, run changeIter) (bool, int, error) {
	if !b.live[v.base] {
		return false, 0, nil
	}
	damaged := func(err error) (bool, int, error) {
		if b.log != nil {
			b.log.Warn("the latest snapshot's tree of a collection is damaged: storing the collection as a full tree",
				"collection", string(coll), "err", err)
		}
		return false, 0, nil
	}
	limit := patchLimit(v.baseCount())
	u := &patchMerge{ps: v.patch, run: run}
	chunks := tx.Bucket(bucketChunks)
	var ps []patchEntry
	count := 0
	// emit compares the change c with the tree's entry e (present when
	// inTree) and adds to ps what differs, as computePatch does with the
	// overlay; it reports whether ps still fits the limit.
	emit := func(c patchEntry, e entry, inTree bool) bool {
		switch {
		case c.id == 0 && inTree:
			ps = append(ps, patchEntry{key: bytes.Clone(c.key)})
		case c.id == 0:
			// A removal of a key the tree lacks: nothing.
		case !inTree || c.id != e.id:
			ps = append(ps, patchEntry{key: bytes.Clone(c.key), id: c.id})
			count++
		default:
			count++
		}
		return len(ps) <= limit
	}
	var cd chunkDecoder // each chunk's entries are dropped before the next is read
	for i, r := range refs {
		var hi []byte // the next chunk's first key; nil: the tree's end
		if i+1 < len(refs) {
			hi = refs[i+1].first
		}
		below := func(k []byte) bool { return hi == nil || compareKeys(k, hi) < 0 }
		c, ok, err := u.peek()
		if err != nil {
			return false, 0, err
		}
		if !ok || !below(c.key) {
			count += r.count // no change in the chunk's range
			continue
		}
		raw := chunks.Get(idKey(r.id))
		if raw == nil {
			return damaged(fmt.Errorf("chunk %d: %w: missing", r.id, ErrCorrupt))
		}
		es, err := cd.decode(raw)
		if err == nil {
			err = checkChunkLine(es, r, hi)
		}
		if err != nil {
			return damaged(fmt.Errorf("chunk %d: %w", r.id, err))
		}
		for k := 0; ; {
			c, ok, err := u.peek()
			if err != nil {
				return false, 0, err
			}
			ok = ok && below(c.key)
			if !ok && k == len(es) {
				break
			}
			cmp := 0
			switch {
			case !ok:
				cmp = -1
			case k == len(es):
				cmp = 1
			default:
				cmp = compareKeys(es[k].key, c.key)
			}
			if cmp < 0 {
				count++ // unchanged
				k++
				continue
			}
			fits := emit(c, entryAt(es, k), cmp == 0)
			u.take()
			if cmp == 0 {
				k++
			}
			if !fits {
				return false, 0, nil
			}
		}
	}
	for { // a tree without chunks: every change is new
		c, ok, err := u.peek()
		if err != nil {
			return false, 0, err
		}
		if !ok {
			break
		}
		fits := emit(c, entry{}, false)
		u.take()
		if !fits {
			return false, 0, nil
		}
	}
	if count == 0 || patchSize(ps) > b.patchBytes() {
		return false, 0, nil
	}
	return b.keepPatch(tx, coll, v.base, ps, count, m)
}

// entryAt returns es[k], or no entry past the end.
func entryAt(es []entry, k int) entry {
	if k < len(es) {
		return es[k]
	}
	return entry{}
}

// patchMerge yields, in key order, a patch's entries with a run's changes
// over them: on a key both hold, the run's.
type patchMerge struct {
	ps     []patchEntry
	run    changeIter
	r      patchEntry
	rOK    bool
	primed bool
}

// peek returns the next change without passing it.
func (p *patchMerge) peek() (patchEntry, bool, error) {
	if !p.primed {
		p.primed = true
		var err error
		if p.r, p.rOK, err = p.run.next(); err != nil {
			return patchEntry{}, false, err
		}
	}
	switch {
	case len(p.ps) == 0 && !p.rOK:
		return patchEntry{}, false, nil
	case len(p.ps) == 0:
		return p.r, true, nil
	case !p.rOK:
		return p.ps[0], true, nil
	}
	if compareKeys(p.ps[0].key, p.r.key) < 0 {
		return p.ps[0], true, nil
	}
	return p.r, true, nil
}

// take passes the change peek returned (and the patch's entry of the same
// key as a run's change). The caller has peeked without an error.
func (p *patchMerge) take() {
	if !p.rOK || (len(p.ps) > 0 && compareKeys(p.ps[0].key, p.r.key) < 0) {
		p.ps = p.ps[1:]
		return
	}
	if len(p.ps) > 0 && compareKeys(p.ps[0].key, p.r.key) == 0 {
		p.ps = p.ps[1:]
	}
	var err error
	if p.r, p.rOK, err = p.run.next(); err != nil {
		// Kept for the next peek, which reports it.
		p.rOK, p.run = false, errChanges{err}
		p.primed = false
	}
}

// errChanges is a changeIter that fails.
type errChanges struct{ err error }

func (e errChanges) next() (patchEntry, bool, error) { return patchEntry{}, false, e.err }

// checkChunkLine checks a decoded chunk against its parent's line: its
// count, its first key, and that it ends before the next chunk's first
// key (hi; nil: the tree's end).
func checkChunkLine(es []entry, r chunkRef, hi []byte) error {
	switch {
	case len(es) == 0:
		return fmt.Errorf("%w: an empty chunk", ErrCorrupt)
	case len(es) != r.count:
		return fmt.Errorf("%w: %d entries, its parent says %d", ErrCorrupt, len(es), r.count)
	case compareKeys(es[0].key, r.first) != 0:
		return fmt.Errorf("%w: first key differs from its parent's", ErrCorrupt)
	case hi != nil && compareKeys(es[len(es)-1].key, hi) >= 0:
		return fmt.Errorf("%w: overlaps the next chunk", ErrCorrupt)
	}
	return nil
}
