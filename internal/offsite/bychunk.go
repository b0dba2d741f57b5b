package offsite

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
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
	Object string // the index file(s) listing the pack
	pack   ID
	err    error
}

// resolve fills in the refs of the blobs given by chunk, reading the
// chunks they name (a tree pack at a time, through x.trees, which keeps
// them for later walks), or their entries as the local cache keeps them
// (chunkRefsCache). A blob that cannot be resolved (its chunk is in no
// index or cannot be read, is a node, or lacks the entry, or the entry
// names no blob) stays out of the index, and its pack is reported; an
// error is the context's.
func (x *index) resolve(ctx context.Context, r *Repo) ([]badEntry, error) {
	if len(x.unresolved) == 0 {
		return nil, nil
	}
	if x.trees == nil {
		x.trees = newTrees(r, x)
	}
	cached := r.loadChunkRefs()
	x.savedEntries = len(cached) // the file as loaded, unless resolve needs other chunks
	known := x.chunkEntries
	var missing []Ref
	seen := map[Ref]bool{}
	for _, pi := range x.unresolved {
		for _, f := range x.from[x.packList[pi]] {
			if !f.OK || seen[f.Chunk] {
				continue
			}
			seen[f.Chunk] = true
			if es, ok := cached[f.Chunk]; ok {
				known[f.Chunk] = es
			} else {
				missing = append(missing, f.Chunk)
			}
		}
	}
	failed := map[Ref]error{}
	if len(missing) > 0 {
		x.trees.preload(ctx, missing)
		for _, c := range missing {
			ch, err := x.trees.chunk(ctx, c)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				failed[c] = err
				continue
			}
			known[c] = chunkEntries(ch)
		}
	}
	var bad []badEntry
	for _, pi := range x.unresolved {
		pack := x.packList[pi]
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
				x.blobs[ref] = slot{pi, uint32(i)}
			}
		}
		if first != nil {
			bad = append(bad, badEntry{Object: x.fileOf(pack), pack: pack, err: first})
		}
	}
	x.unresolved = nil
	if len(missing) > len(failed) {
		r.saveChunkRefs(x)
	}
	return bad, nil
}

// fileOf names the index files that list pack.
func (x *index) fileOf(pack ID) string {
	var names []string
	for f, packs := range x.files {
		if slices.Contains(packs, pack) {
			names = append(names, "index/"+f.String())
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "data/" + pack.String()
	}
	return names[0]
}

// The local cache keeps the entries of the chunks that by-chunk index
// entries name (chunk refs, below CacheDir, sealed with the master key),
// so that a push with a warm cache reads no tree pack to resolve them. A
// chunk's entries never change (its ref is the hash of its bytes); the
// file holds the chunks the last load needed.
const chunkRefsName = "chunkrefs"

func (r *Repo) loadChunkRefs() map[Ref][]chunkEntry {
	out := map[Ref][]chunkEntry{}
	b := r.cacheGet(chunkRefsName)
	if b == nil {
		return out
	}
	plain, err := r.key.open(kindChunkRefs, b)
	if err != nil {
		return out
	}
	plain, err = decompress(plain, maxIndex)
	if err != nil {
		return out
	}
	rd := &reader{b: plain}
	n := rd.uvarint(uint64(len(plain)))
	for i := uint64(0); i < n && rd.err == nil; i++ {
		c := rd.ref()
		m := rd.uvarint(uint64(len(rd.b)))
		es := make([]chunkEntry, 0, m)
		for j := uint64(0); j < m && rd.err == nil; j++ {
			e := chunkEntry{blob: rd.byte() == 1}
			if e.blob {
				e.ref = rd.ref()
			}
			es = append(es, e)
		}
		out[c] = es
	}
	if rd.err != nil {
		return map[Ref][]chunkEntry{}
	}
	return out
}

// saveChunkRefs writes the cache of the chunk entries x knows, when it
// learnt some since it was loaded (or saved).
func (r *Repo) saveChunkRefs(x *index) {
	if r.cachePath(chunkRefsName) == "" || len(x.chunkEntries) == x.savedEntries {
		return
	}
	x.savedEntries = len(x.chunkEntries)
	m := x.chunkEntries
	b := binary.AppendUvarint(nil, uint64(len(m)))
	for c, es := range m {
		b = append(b, c[:]...)
		b = binary.AppendUvarint(b, uint64(len(es)))
		for _, e := range es {
			if e.blob {
				b = append(b, 1)
				b = append(b, e.ref[:]...)
			} else {
				b = append(b, 0)
			}
		}
	}
	sealed, err := r.key.seal(kindChunkRefs, compress(b))
	if err == nil {
		r.cachePut(chunkRefsName, sealed)
	}
}
