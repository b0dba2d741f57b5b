package snapshot

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// collection checks a collection's root, then its tree.
func (v *verifier) collection(s *Snapshot, name string) error {
	c := s.Collections[name]
	bad := func(h Hash, key, msg string) {
		v.rep.add(Problem{Snapshot: s.ID, Collection: name, Key: key, Hash: h, Err: msg})
	}
	v.content = func(h Hash, key, msg string) {
		v.rep.add(Problem{Snapshot: s.ID, Collection: name, Key: key, Hash: h, Err: msg, Content: true})
	}
	raw, err := v.db.getCopy(bucketRoots, c.Root[:])
	if err != nil {
		return v.badRoot(c, bad, "root is missing")
	}
	if err := v.read(len(raw)); err != nil {
		return err
	}
	if isPatch(raw) {
		return v.patch(c, raw, bad)
	}
	level, refs, err := decodeIndex(raw)
	if err == nil && hashOf(raw) != c.Root {
		err = fmt.Errorf("root does not hash to its address")
	}
	if err != nil {
		return v.badRoot(c, bad, err.Error())
	}
	total := 0
	for _, r := range refs {
		total += r.count
	}
	if total != c.Count {
		bad(c.Root, "", fmt.Sprintf("root holds %d objects, the record says %d", total, c.Count))
	}
	return v.refs(level-1, refs, nil, bad)
}

// refs checks the children of one node, of the given level (0: chunks);
// next is the first key after the last child, nil when none.
func (v *verifier) refs(level int, refs []chunkRef, next []byte, bad func(h Hash, key, msg string)) error {
	for i, r := range refs {
		bound := next
		if i+1 < len(refs) {
			bound = refs[i+1].first
		}
		if level > 0 {
			if err := v.index(level, r, bound, bad); err != nil {
				return err
			}
			continue
		}
		if err := v.chunk(r, bound, bad); err != nil {
			return err
		}
		v.advance(r.count)
	}
	return nil
}

// index checks an index node: present, decodes, of the level its parent
// expects, matches its index entry and its parent's line; then its
// children, recursively.
func (v *verifier) index(level int, r chunkRef, next []byte, bad func(h Hash, key, msg string)) error {
	if v.chunkOK[r.id] {
		v.advance(r.count)
		return nil
	}
	v.chunkOK[r.id] = false
	raw, err := v.db.getCopy(bucketChunks, idKey(r.id))
	if err != nil {
		bad(Hash{}, "", fmt.Sprintf("index node %d is missing", r.id))
		v.advance(r.count)
		return nil
	}
	if err := v.read(len(raw)); err != nil {
		return err
	}
	indexed, err := v.indexed(raw, r.id)
	if err != nil {
		return err
	}
	children, err := checkIndex(raw, level, r.id)
	if err == nil {
		total := 0
		for _, c := range children {
			total += c.count
		}
		switch {
		case !indexed:
			err = fmt.Errorf("index node %d does not hash to its index entry", r.id)
		case total != r.count:
			err = fmt.Errorf("index node %d holds %d objects, its parent says %d", r.id, total, r.count)
		case compareKeys(children[0].first, r.first) != 0:
			err = fmt.Errorf("index node %d's first key differs from its parent's", r.id)
		}
	}
	if err != nil {
		bad(Hash{}, "", err.Error())
		v.advance(r.count)
		return nil
	}
	before, filtered := v.problems(), v.filtered
	if err := v.refs(level-1, children, next, bad); err != nil {
		return err
	}
	v.chunkOK[r.id] = v.problems() == before && v.filtered == filtered
	return nil
}

// indexed reports whether the chunk index files raw's hash under id.
func (v *verifier) indexed(raw []byte, id uint64) (bool, error) {
	h := hashOf(raw)
	var ok bool
	err := v.db.bolt.View(func(tx *bbolt.Tx) error {
		ok = chunkIndexed(tx, h, id)
		return nil
	})
	return ok, err
}

// advance counts n objects checked and reports progress.
func (v *verifier) advance(n int) {
	v.done += n
	if v.progress != nil {
		v.progress(v.done, v.total)
	}
}

// problems returns the number of problems found so far.
func (v *verifier) problems() int { return len(v.rep.Problems) + v.rep.Unlisted }

// chunk checks a chunk: present, decodes, matches its index entry (so its
// content hashes to the address it was stored under) and its parent's line,
// and its blobs are sound.
func (v *verifier) chunk(r chunkRef, next []byte, bad func(h Hash, key, msg string)) error {
	if v.chunkOK[r.id] {
		return nil
	}
	v.chunkOK[r.id] = false
	raw, err := v.db.getCopy(bucketChunks, idKey(r.id))
	if err != nil {
		bad(Hash{}, "", fmt.Sprintf("chunk %d is missing", r.id))
		return nil
	}
	if err := v.read(len(raw)); err != nil {
		return err
	}
	indexed, err := v.indexed(raw, r.id)
	if err != nil {
		return err
	}
	es, err := decodeChunk(raw)
	switch {
	case err != nil:
	case !indexed:
		err = fmt.Errorf("chunk %d does not hash to its index entry", r.id)
	case len(es) != r.count:
		err = fmt.Errorf("chunk %d holds %d objects, its parent says %d", r.id, len(es), r.count)
	case compareKeys(es[0].key, r.first) != 0:
		err = fmt.Errorf("chunk %d's first key differs from its parent's", r.id)
	case next != nil && compareKeys(es[len(es)-1].key, next) >= 0:
		err = fmt.Errorf("chunk %d overlaps the next chunk", r.id)
	}
	if err != nil {
		bad(Hash{}, "", err.Error())
		return nil
	}
	// Under a patch, only the entries the patched view holds: the
	// others' blobs are checked, and reported, by the snapshots whose
	// view holds them. The chunk is then not marked sound, so that a
	// full check of it comes later.
	if len(v.skip) > 0 {
		kept := make([]entry, 0, len(es))
		for _, e := range es {
			if _, ok := patchFind(v.skip, e.key); !ok {
				kept = append(kept, e)
			}
		}
		if len(kept) < len(es) {
			v.filtered++
			es = kept
		}
	}
	if err := v.checkBlobs(es); err != nil {
		return err
	}
	sound := true
	for _, e := range es {
		if st := v.blobs.get(e.id); st.err != "" {
			sound = false
			key, kerr := keyText(e.key)
			if kerr != nil {
				key = fmt.Sprintf("%q", e.key)
			}
			if st.content {
				v.content(st.hash, key, st.err)
			} else {
				bad(st.hash, key, st.err)
			}
		}
	}
	v.chunkOK[r.id] = sound && len(es) == r.count
	return nil
}

// badRoot reports a collection whose root cannot be read or trusted, and
// counts its objects as checked: nothing below it can be.
func (v *verifier) badRoot(c Collection, bad func(h Hash, key, msg string), msg string) error {
	bad(c.Root, "", msg)
	v.advance(c.Count)
	return nil
}

// patch checks a collection whose root is a patch: it hashes to its
// address and decodes (its keys sorted), its base is there and is a full
// tree, which is checked as any but for the blobs of the keys the patch
// changes (its view does not hold them); the patch's blobs are sound, it removes
// only keys its base holds, and the count it gives is the record's.
func (v *verifier) patch(c Collection, raw []byte, bad func(h Hash, key, msg string)) error {
	base, ps, err := decodePatch(raw)
	if err == nil && hashOf(raw) != c.Root {
		err = fmt.Errorf("root does not hash to its address")
	}
	if err != nil {
		return v.badRoot(c, bad, err.Error())
	}
	braw, err := v.db.getCopy(bucketRoots, base[:])
	if err != nil {
		return v.badRoot(c, bad, fmt.Sprintf("the base %s of the patch is missing", base.Short()))
	}
	if err := v.read(len(braw)); err != nil {
		return err
	}
	var level int
	var refs []chunkRef
	switch {
	case isPatch(braw):
		err = fmt.Errorf("the base %s of the patch is a patch", base.Short())
	case hashOf(braw) != base:
		err = fmt.Errorf("the base %s of the patch does not hash to its address", base.Short())
	default:
		if level, refs, err = decodeIndex(braw); err != nil {
			err = fmt.Errorf("the base %s of the patch: %v", base.Short(), err)
		}
	}
	if err != nil {
		return v.badRoot(c, bad, err.Error())
	}
	before, problems := v.done, v.problems()
	v.skip = ps
	err = v.refs(level-1, refs, nil, bad)
	v.skip = nil
	if err != nil {
		return err
	}
	if v.problems() == problems {
		// Counted only over a sound base.
		total := 0
		for _, r := range refs {
			total += r.count
		}
		cur := newTreeCursor(v.db, &collView{base: base, level: level, refs: refs})
		for _, p := range ps {
			had, err := cur.get(p.key)
			if err != nil {
				bad(base, "", err.Error())
				break
			}
			switch {
			case p.id != 0 && had == 0:
				total++
			case p.id == 0 && had != 0:
				total--
			case p.id == 0:
				key, kerr := keyText(p.key)
				if kerr != nil {
					key = fmt.Sprintf("%q", p.key)
				}
				bad(c.Root, key, "the patch removes a key its base does not hold")
			}
		}
		if total != c.Count {
			bad(c.Root, "", fmt.Sprintf("root holds %d objects, the record says %d", total, c.Count))
		}
	}
	var es []entry
	for _, p := range ps {
		if p.id != 0 {
			es = append(es, entry{key: p.key, id: p.id})
		}
	}
	for i := 0; i < len(es); i += maxChunkEntries {
		if err := v.checkBlobs(es[i:min(len(es), i+maxChunkEntries)]); err != nil {
			return err
		}
	}
	for _, e := range es {
		if st := v.blobs.get(e.id); st.err != "" {
			key, kerr := keyText(e.key)
			if kerr != nil {
				key = fmt.Sprintf("%q", e.key)
			}
			if st.content {
				v.content(st.hash, key, st.err)
			} else {
				bad(st.hash, key, st.err)
			}
		}
	}
	v.done = before
	v.advance(c.Count)
	return nil
}
