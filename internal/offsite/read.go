package offsite

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// packContent is a downloaded pack: its decompressed content, and the
// blobs its header lists, by offset ascending (as decodePack gives them:
// each after the one before), found by a binary search: a map by offset,
// made for every pack a restore reads and asked once an object, cost 0.3
// to 0.4 CPU-s at a million objects, the search 0.2.
type packContent struct {
	id    ID
	plain []byte
	hdr   []PackedBlob
}

// at returns the blob the pack's header puts at offset off.
func (pc *packContent) at(off uint32) (PackedBlob, bool) {
	i, ok := slices.BinarySearchFunc(pc.hdr, off, func(b PackedBlob, off uint32) int { return cmp.Compare(b.Offset, off) })
	if !ok {
		return PackedBlob{}, false
	}
	return pc.hdr[i], true
}

// readPack downloads a pack, checks its hash, decrypts and decompresses
// it, and parses its header.
func (r *Repo) readPack(ctx context.Context, id ID) (*packContent, error) {
	b, err := r.fetchSealed(ctx, "data/", id)
	if err != nil {
		return nil, err
	}
	return r.openPack(id, b, nil)
}

// openPack is readPack once the pack's stored bytes b are downloaded and
// checked against its name (fetchSealed): it decrypts them in their own
// memory (b is the caller's to give: overwritten), decompresses (into
// sc's memory, when sc is not nil and its buffer large enough) and
// parses them (the header into sc's memory likewise).
func (r *Repo) openPack(id ID, b []byte, sc *packScratch) (*packContent, error) {
	b, err := r.openSealedInPlace("data/", id, kindPack, b)
	if err != nil {
		return nil, err
	}
	var buf []byte
	var hdr []PackedBlob
	if sc != nil {
		buf, hdr = sc.plain, sc.hdr
	}
	plain, err := decompressInto(buf, b, maxPackPlain)
	if err != nil {
		return nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	blobs, err := decodePackInto(hdr, plain)
	if err != nil {
		return nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	return &packContent{id: id, plain: plain, hdr: blobs}, nil
}

// blob returns the bytes of b, a blob the index places in this pack, and
// its id: the pack's header must put a blob of b's type and length at b's
// offset, and its bytes must hash to b's ref (a tree chunk's SHA-256), or
// give an id that b's name names (a data blob's blobID, ID.named; with a
// nil blobID a data blob is not checked and its id is zero).
func (pc *packContent) blob(b PackedBlob, blobID func([]byte) (ID, error)) ([]byte, ID, error) {
	h, ok := pc.at(b.Offset)
	if !ok || h.Type != b.Type || h.Length != b.Length || (h.Ref != Ref{} && h.Ref != b.Ref) {
		ref := b.Ref // b.Ref[:6] would move b to the heap on every call
		return nil, ID{}, fmt.Errorf("%w: data/%s lacks blob %x where the index places it", ErrCorrupt, pc.id.Short(), ref[:6])
	}
	c := pc.plain[b.Offset : b.Offset+b.Length]
	var id ID
	var err error
	switch {
	case b.Type == TreeBlob:
		id = hashOf(c)
	case blobID != nil:
		id, err = blobID(c)
	default:
		return c, ID{}, nil
	}
	if err != nil || (b.Type == TreeBlob && id.Ref() != b.Ref) || (b.Type == DataBlob && !id.named(b.Ref)) {
		what := "object"
		if b.Type == TreeBlob {
			what = "tree chunk"
		}
		ref := b.Ref
		return nil, ID{}, fmt.Errorf("%w: data/%s: %s %x does not hash to its id", ErrCorrupt, pc.id.Short(), what, ref[:6])
	}
	return c, id, nil
}

// trees reads tree chunks, a whole pack at a time, and keeps every tree
// chunk of the packs it read (tree chunks are packed apart from data).
type trees struct {
	r      *Repo
	idx    *index
	chunks map[Ref][]byte
	read   map[ID]error // packs read, and how that went
	mu     sync.Mutex   // restore walks several snapshots at once

	loading map[ID]chan struct{} // packs preload reads, closed once read
}

func newTrees(r *Repo, idx *index) *trees {
	return &trees{r: r, idx: idx, chunks: map[Ref][]byte{}, read: map[ID]error{}, loading: map[ID]chan struct{}{}}
}

// chunk returns the tree chunk id, decoded.
func (t *trees) chunk(ctx context.Context, id Ref) (chunk, error) {
	return t.decoded(ctx, id, decodeChunk)
}

// refs returns the tree chunk id decoded without its keys (decodeRefs),
// for a reader that follows refs alone.
func (t *trees) refs(ctx context.Context, id Ref) (chunk, error) {
	return t.decoded(ctx, id, decodeRefs)
}

func (t *trees) decoded(ctx context.Context, id Ref, decode func([]byte) (chunk, error)) (chunk, error) {
	t.mu.Lock()
	b, err := t.chunkLocked(ctx, id)
	t.mu.Unlock()
	if err != nil {
		return chunk{}, err
	}
	c, err := decode(b)
	if err != nil {
		return chunk{}, fmt.Errorf("chunk %x: %w", id[:6], err)
	}
	return c, nil
}

func (t *trees) chunkLocked(ctx context.Context, id Ref) ([]byte, error) {
	if c, ok := t.chunks[id]; ok {
		return c, nil
	}
	loc, ok := t.idx.lookup(id)
	if !ok {
		return nil, t.idx.notIndexed("tree chunk", id)
	}
	if loc.Type != TreeBlob {
		return nil, fmt.Errorf("%w: tree chunk %x is in no index", ErrCorrupt, id[:6])
	}
	if err, done := t.read[loc.pack]; done {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: tree chunk %x is not in data/%s", ErrCorrupt, id[:6], loc.pack.Short())
	}
	if ch, ok := t.loading[loc.pack]; ok {
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		t.mu.Lock()
		if _, ok := t.loading[loc.pack]; ok {
			return nil, ctx.Err()
		}
		return t.chunkLocked(ctx, id)
	}
	pc, err := t.r.readPack(ctx, loc.pack)
	if err != nil && ctx.Err() != nil {
		// This caller gave up: not the pack's fault, and another
		// caller may still read it.
		return nil, err
	}
	t.read[loc.pack] = err
	if err != nil {
		return nil, err
	}
	for _, b := range t.idx.packs[loc.pack] {
		if b.Type != TreeBlob {
			continue
		}
		c, _, err := pc.blob(b, nil)
		if err != nil {
			t.read[loc.pack] = err
			return nil, err
		}
		t.chunks[b.Ref] = c
	}
	return t.chunkLocked(ctx, id)
}

// preload reads the packs that hold the tree chunks refs, which chunk
// would read one at a time as the walks reach them, restoreConcurrency
// at a time, and keeps their tree chunks as chunk does, in refs' order.
// A pack that cannot be read is noted, and chunk returns its error if a
// walk needs it.
func (t *trees) preload(ctx context.Context, refs []Ref) {
	t.preloadRun(ctx, t.preloadStart(refs))
}

// preloadStart notes as loading the packs preload reads for refs, so
// that a walk that needs one of them waits for it instead of reading it
// itself (which chunk does holding the lock), and returns them for
// preloadRun.
func (t *trees) preloadStart(refs []Ref) []ID {
	var packs []ID
	seen := map[ID]bool{}
	t.mu.Lock()
	for _, ref := range refs {
		if _, ok := t.chunks[ref]; ok {
			continue
		}
		loc, ok := t.idx.lookup(ref)
		if !ok || loc.Type != TreeBlob || seen[loc.pack] {
			continue // chunk says what is wrong
		}
		if _, done := t.read[loc.pack]; !done && t.loading[loc.pack] == nil {
			seen[loc.pack] = true
			packs = append(packs, loc.pack)
			t.loading[loc.pack] = make(chan struct{})
		}
	}
	t.mu.Unlock()
	return packs
}

// preloadRun reads the packs preloadStart noted, restoreConcurrency at
// a time.
func (t *trees) preloadRun(ctx context.Context, packs []ID) {
	var g errgroup.Group
	g.SetLimit(restoreConcurrency)
	for _, p := range packs {
		g.Go(func() error {
			pc, err := t.r.readPack(ctx, p)
			var got map[Ref][]byte
			if err == nil {
				got = map[Ref][]byte{}
				for _, b := range t.idx.packs[p] {
					if b.Type != TreeBlob {
						continue
					}
					var c []byte
					if c, _, err = pc.blob(b, nil); err != nil {
						break
					}
					got[b.Ref] = c
				}
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			defer close(t.loading[p])
			defer delete(t.loading, p)
			if ctx.Err() != nil {
				return nil // the walk is over: chunk reads it if asked
			}
			t.read[p] = err
			if err == nil {
				maps.Copy(t.chunks, got)
			}
			return nil
		})
	}
	g.Wait()
}

// maxDeltaDepth bounds the deltas a walk follows down to a full tree
// (push starts a full tree after maxDeltas).
const maxDeltaDepth = 64

// walkAt calls fn for each entry of the tree under root, in key order,
// with the entry's leaf chunk and its place in the chunk's entries; a zero
// chunk and -1 for an entry a delta sets.
func (t *trees) walkAt(ctx context.Context, root Ref, fn func(e Entry, chunk Ref, at int) error) error {
	return t.walkDepth(ctx, root, 0, fn)
}

func (t *trees) walkDepth(ctx context.Context, root Ref, depth int, fn func(Entry, Ref, int) error) error {
	c, err := t.chunk(ctx, root)
	if err != nil {
		return err
	}
	if c.delta != nil {
		if depth >= maxDeltaDepth {
			return fmt.Errorf("%w: chunk %x: more than %d deltas", ErrCorrupt, root[:6], maxDeltaDepth)
		}
		return t.walkDelta(ctx, c.delta, depth, fn)
	}
	for i, e := range c.leaf {
		if err := fn(e, root, i); err != nil {
			return err
		}
	}
	for _, ch := range c.children {
		if err := t.walkDepth(ctx, ch, depth, fn); err != nil {
			return err
		}
	}
	return nil
}

// reach calls fn with each object that the tree under root names, in any
// order, reading each chunk not in visited once: leaves' entries and the
// objects deltas set (and the entries of their bases, some of which a
// delta replaces: a restore of one snapshot at the end of a chain reads
// those few objects in vain), and its entry's number in its chunk (as
// chunkEntries numbers them). read, if not nil, is called with each
// chunk read (decoded without its keys: decodeRefs), before fn with the
// objects it names, and with no other chunk in between.
func (t *trees) reach(ctx context.Context, root Ref, depth int, visited map[Ref]bool, read func(Ref, chunk), fn func(Ref, int) error) error {
	if visited[root] {
		return nil
	}
	visited[root] = true
	c, err := t.refs(ctx, root)
	if err != nil {
		return err
	}
	if read != nil {
		read(root, c)
	}
	for i, e := range c.leaf {
		if err := fn(e.Ref, i); err != nil {
			return err
		}
	}
	children := c.children
	if d := c.delta; d != nil {
		if depth >= maxDeltaDepth {
			return fmt.Errorf("%w: chunk %x: more than %d deltas", ErrCorrupt, root[:6], maxDeltaDepth)
		}
		depth++
		for i, ch := range d.Changes {
			if !ch.Removed {
				if err := fn(ch.Ref, i); err != nil {
					return err
				}
			}
		}
		children = []Ref{d.Base}
	}
	for _, ch := range children {
		if err := t.reach(ctx, ch, depth, visited, read, fn); err != nil {
			return err
		}
	}
	return nil
}

// walkDelta applies a delta's changes to its base's entries: a key the
// delta sets or removes is replaced or left out where the base has it;
// the keys the base lacks follow, in the delta's order. So a walk gives
// each key once, in the local store's order but for keys added by
// deltas; restore-db's writer orders what it files itself.
func (t *trees) walkDelta(ctx context.Context, d *Delta, depth int, fn func(Entry, Ref, int) error) error {
	changes := make(map[string]int, len(d.Changes))
	for i, c := range d.Changes {
		changes[c.Key] = i
	}
	if len(changes) != len(d.Changes) {
		return fmt.Errorf("%w: a delta names a key twice", ErrCorrupt)
	}
	seen := make([]bool, len(d.Changes))
	err := t.walkDepth(ctx, d.Base, depth+1, func(e Entry, chunk Ref, at int) error {
		i, ok := changes[e.Key]
		if !ok {
			return fn(e, chunk, at)
		}
		seen[i] = true
		if c := d.Changes[i]; !c.Removed {
			return fn(Entry{Key: c.Key, Ref: c.Ref}, Ref{}, -1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range d.Changes {
		if !seen[i] && !c.Removed {
			if err := fn(Entry{Key: c.Key, Ref: c.Ref}, Ref{}, -1); err != nil {
				return err
			}
		}
	}
	return nil
}
