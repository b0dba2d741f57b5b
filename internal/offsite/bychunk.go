package offsite

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Format 3's index entries given by chunk: a data blob's ref is read
// from the tree chunk that names it (a leaf's entry or a delta's change)
// instead of being stored a second time in the index. The chunk must be
// a tree chunk some index file lists (tree chunks' entries are always
// explicit, so resolving never depends on another resolution).

// chunkEntry is one entry of a tree chunk as by-chunk index entries see
// it: the ref of the blob it names, if it names one (a removal or a
// node's child names none).
type chunkEntry struct {
	ref  Ref
	blob bool
}

// chunkEntries lists the entries of a decoded chunk that index entries
// may point at.
func chunkEntries(c chunk) []chunkEntry {
	switch {
	case c.delta != nil:
		out := make([]chunkEntry, len(c.delta.Changes))
		for i, ch := range c.delta.Changes {
			out[i] = chunkEntry{ref: ch.Ref, blob: !ch.Removed}
		}
		return out
	case c.leaf != nil:
		out := make([]chunkEntry, len(c.leaf))
		for i, e := range c.leaf {
			out[i] = chunkEntry{ref: e.Ref, blob: true}
		}
		return out
	}
	return nil // a node: names no blob
}

// badEntry is a pack whose index entries given by chunk could not all be
// resolved, and the first reason.
type badEntry struct {
	Object string // the index file that lists the pack
	pack   ID
	err    error
}

// unresolved is a pack with entries given by chunk that resolve has yet
// to fill in, and the index file it was added from.
type unresolved struct {
	pack uint32 // place in packList
	file ID
}

// resolve fills in the refs of the blobs given by chunk: from the local
// cache of each index file's resolved refs when it has them, else by
// reading the chunks they name (a tree pack at a time, through x.trees,
// which keeps them for later walks). A blob that cannot be resolved (its
// chunk is in no index or cannot be read, is a node, or lacks the entry,
// or the entry names no blob) stays out of the index, and its pack is
// reported; an error is the context's.
func (x *index) resolve(ctx context.Context, r *Repo) ([]badEntry, error) {
	if len(x.unresolved) == 0 {
		return nil, nil
	}
	var rest []unresolved
	cached := map[ID]map[ID][]Ref{}
	for _, u := range x.unresolved {
		c, ok := cached[u.file]
		if !ok {
			c = r.loadResolved(u.file)
			cached[u.file] = c
		}
		if !x.fill(u.pack, c[x.packList[u.pack]]) {
			rest = append(rest, u)
		}
	}
	x.unresolved = nil
	if len(rest) == 0 {
		return nil, nil
	}
	if x.trees == nil {
		x.trees = newTrees(r, x)
	}
	var missing []Ref
	seen := map[Ref]bool{}
	for _, u := range rest {
		for _, f := range x.from[x.packList[u.pack]] {
			if f.OK && !seen[f.Chunk] {
				seen[f.Chunk] = true
				missing = append(missing, f.Chunk)
			}
		}
	}
	known := map[Ref][]chunkEntry{}
	failed := map[Ref]error{}
	x.trees.preload(ctx, missing)
	for _, c := range missing {
		ch, err := x.trees.refs(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failed[c] = err
			continue
		}
		known[c] = chunkEntries(ch)
	}
	var bad []badEntry
	badFile := map[ID]bool{}
	for _, u := range rest {
		pack := x.packList[u.pack]
		blobs, from := x.packs[pack], x.from[pack]
		var first error
		for i, f := range from {
			if !f.OK || blobs[i].Ref != (Ref{}) {
				continue
			}
			es, ok := known[f.Chunk]
			var err error
			switch {
			case !ok:
				err = fmt.Errorf("%w: blob %d of data/%s: its tree chunk %x: %v", ErrCorrupt, i, pack.Short(), f.Chunk[:6], failed[f.Chunk])
			case int(f.Entry) >= len(es) || !es[f.Entry].blob:
				err = fmt.Errorf("%w: blob %d of data/%s: entry %d of tree chunk %x names no object", ErrCorrupt, i, pack.Short(), f.Entry, f.Chunk[:6])
			}
			if err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			ref := es[f.Entry].ref
			blobs[i].Ref = ref
			if _, ok := x.blobs[ref]; !ok {
				x.blobs[ref] = slot{u.pack, uint32(i)}
			}
		}
		if first != nil {
			badFile[u.file] = true
			bad = append(bad, badEntry{Object: "index/" + u.file.String(), pack: pack, err: first})
		}
	}
	// Cache what was resolved, per index file, unless something of it
	// could not be.
	byFile := map[ID][]IndexPack{}
	for _, u := range rest {
		if !badFile[u.file] {
			pack := x.packList[u.pack]
			byFile[u.file] = append(byFile[u.file], IndexPack{Pack: pack, Blobs: x.packs[pack], From: x.from[pack]})
		}
	}
	for f, packs := range byFile {
		r.saveResolved(f, append(packsOf(cached[f]), packs...))
	}
	return bad, nil
}

// fill gives the blobs of pack pi given by chunk the refs a cache keeps
// (in order), if there are as many.
func (x *index) fill(pi uint32, refs []Ref) bool {
	pack := x.packList[pi]
	blobs, from := x.packs[pack], x.from[pack]
	n := 0
	for _, f := range from {
		if f.OK {
			n++
		}
	}
	if refs == nil || n != len(refs) {
		return false
	}
	// A cached ref stands only while its chunk is listed as a tree chunk:
	// one whose tree pack went out of every index is read (and fails)
	// like any unresolved entry.
	for _, f := range from {
		if !f.OK {
			continue
		}
		s, ok := x.blobs[f.Chunk]
		if !ok || x.packs[x.packList[s.pack]][s.blob].Type != TreeBlob {
			return false
		}
	}
	j := 0
	for i, f := range from {
		if !f.OK {
			continue
		}
		blobs[i].Ref = refs[j]
		j++
		if _, ok := x.blobs[blobs[i].Ref]; ok {
			continue
		}
		if x.gone[pack] {
			// A pack missing or damaged (exclude): the object is found
			// in another pack, or not at all, and lost names this one.
			if x.lost == nil {
				x.lost = map[Ref]ID{}
			}
			x.lost[blobs[i].Ref] = pack
			continue
		}
		x.blobs[blobs[i].Ref] = slot{pi, uint32(i)}
	}
	return true
}

// The local cache keeps, per index file, the refs of its entries given
// by chunk (resolved/<index file>, sealed with the master key, the file's
// name inside), so that a push with a warm cache reads no tree pack to
// resolve them: push writes it with the index file, resolve for files it
// resolved from the trees. An index file never changes (its name is its
// hash), nor do a chunk's entries; the copies of index files the target
// no longer lists are removed with them.
const resolvedDir = "resolved/"

// packsOf turns a cached file's refs back into packs that saveResolved
// writes again (as given by chunk, in order).
func packsOf(c map[ID][]Ref) []IndexPack {
	var out []IndexPack
	for pack, refs := range c {
		ip := IndexPack{Pack: pack, Blobs: make([]PackedBlob, len(refs)), From: make([]ChunkPos, len(refs))}
		for i, ref := range refs {
			ip.Blobs[i].Ref, ip.From[i].OK = ref, true
		}
		out = append(out, ip)
	}
	return out
}

func (r *Repo) loadResolved(file ID) map[ID][]Ref {
	b := r.cacheGet(resolvedDir + file.String())
	if b == nil {
		return nil
	}
	plain, err := r.key.open(kindResolved, b)
	if err != nil {
		return nil
	}
	rd := &reader{b: plain}
	if rd.id() != file {
		return nil
	}
	out := map[ID][]Ref{}
	n := rd.uvarint(uint64(len(plain)))
	for i := uint64(0); i < n && rd.err == nil; i++ {
		pack := rd.id()
		m := rd.uvarint(uint64(len(rd.b)) / uint64(len(Ref{})))
		refs := make([]Ref, 0, m)
		for j := uint64(0); j < m && rd.err == nil; j++ {
			refs = append(refs, rd.ref())
		}
		out[pack] = refs
	}
	if rd.err != nil || len(rd.b) != 0 {
		return nil
	}
	return out
}

// saveResolved caches the refs of the entries of packs given by chunk,
// as index file file lists them.
func (r *Repo) saveResolved(file ID, packs []IndexPack) {
	if r.cachePath(resolvedDir) == "" {
		return
	}
	n, size := 0, len(file)+binary.MaxVarintLen64
	for _, p := range packs {
		if p.From != nil {
			n++
			size += len(p.Pack) + binary.MaxVarintLen64 + len(Ref{})*len(p.From)
		}
	}
	if n == 0 {
		return
	}
	// Sized once (at most a ref an entry): grown by appends, the file of
	// a million objects' refs was twice its size in garbage.
	b := append(make([]byte, 0, size), file[:]...)
	b = binary.AppendUvarint(b, uint64(n))
	for _, p := range packs {
		if p.From == nil {
			continue
		}
		b = append(b, p.Pack[:]...)
		m := 0
		for _, f := range p.From {
			if f.OK {
				m++
			}
		}
		b = binary.AppendUvarint(b, uint64(m))
		for i, f := range p.From {
			if f.OK {
				b = append(b, p.Blobs[i].Ref[:]...)
			}
		}
	}
	sealed, err := r.key.seal(kindResolved, b)
	if err == nil {
		r.cachePut(resolvedDir+file.String(), sealed)
	}
}
