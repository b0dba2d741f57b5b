package offsite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sync/errgroup"
)

// restoreConcurrency is how many packs restore downloads at once.
const restoreConcurrency = 4

// packContent is a downloaded pack: its decompressed content, and the
// blob its header puts at each offset.
type packContent struct {
	id    ID
	plain []byte
	at    map[uint32]PackedBlob
}

// readPack downloads a pack, checks its hash, decrypts and decompresses
// it, and parses its header.
func (r *Repo) readPack(ctx context.Context, id ID) (*packContent, error) {
	b, err := r.getSealed(ctx, "data/", id, kindPack)
	if err != nil {
		return nil, err
	}
	plain, err := decompress(b, maxPackPlain)
	if err != nil {
		return nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	blobs, err := decodePack(plain)
	if err != nil {
		return nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	pc := &packContent{id: id, plain: plain, at: make(map[uint32]PackedBlob, len(blobs))}
	for _, x := range blobs {
		pc.at[x.Offset] = x
	}
	return pc, nil
}

// blob returns the bytes of b, a blob the index places in this pack, and
// its id: the pack's header must put a blob of b's type and length at b's
// offset, and its bytes must hash to b's ref (a tree chunk's SHA-256, a
// data blob's blobID; with a nil blobID a data blob is not checked and
// its id is zero).
func (pc *packContent) blob(b PackedBlob, blobID func([]byte) (ID, error)) ([]byte, ID, error) {
	h, ok := pc.at[b.Offset]
	if !ok || h.Type != b.Type || h.Length != b.Length || (h.Ref != Ref{} && h.Ref != b.Ref) {
		return nil, ID{}, fmt.Errorf("%w: data/%s lacks blob %x where the index places it", ErrCorrupt, pc.id.Short(), b.Ref[:6])
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
	if err != nil || id.Ref() != b.Ref {
		what := "object"
		if b.Type == TreeBlob {
			what = "tree chunk"
		}
		return nil, ID{}, fmt.Errorf("%w: data/%s: %s %x does not hash to its id", ErrCorrupt, pc.id.Short(), what, b.Ref[:6])
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
}

func newTrees(r *Repo, idx *index) *trees {
	return &trees{r: r, idx: idx, chunks: map[Ref][]byte{}, read: map[ID]error{}}
}

func (t *trees) chunk(ctx context.Context, id Ref) (chunk, error) {
	t.mu.Lock()
	b, err := t.chunkLocked(ctx, id)
	t.mu.Unlock()
	if err != nil {
		return chunk{}, err
	}
	c, err := decodeChunk(b)
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
	if !ok || loc.Type != TreeBlob {
		return nil, fmt.Errorf("%w: tree chunk %x is in no index", ErrCorrupt, id[:6])
	}
	if err, done := t.read[loc.pack]; done {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: tree chunk %x is not in data/%s", ErrCorrupt, id[:6], loc.pack.Short())
	}
	pc, err := t.r.readPack(ctx, loc.pack)
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

// maxDeltaDepth bounds the deltas a walk follows down to a full tree
// (push starts a full tree after maxDeltas).
const maxDeltaDepth = 64

// walk calls fn for each entry of the tree under root, in key order.
func (t *trees) walk(ctx context.Context, root Ref, fn func(Entry) error) error {
	return t.walkDepth(ctx, root, 0, fn)
}

func (t *trees) walkDepth(ctx context.Context, root Ref, depth int, fn func(Entry) error) error {
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
	for _, e := range c.leaf {
		if err := fn(e); err != nil {
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
// those few objects in vain).
func (t *trees) reach(ctx context.Context, root Ref, depth int, visited map[Ref]bool, fn func(Ref) error) error {
	if visited[root] {
		return nil
	}
	visited[root] = true
	c, err := t.chunk(ctx, root)
	if err != nil {
		return err
	}
	for _, e := range c.leaf {
		if err := fn(e.Ref); err != nil {
			return err
		}
	}
	children := c.children
	if d := c.delta; d != nil {
		if depth >= maxDeltaDepth {
			return fmt.Errorf("%w: chunk %x: more than %d deltas", ErrCorrupt, root[:6], maxDeltaDepth)
		}
		depth++
		for _, ch := range d.Changes {
			if !ch.Removed {
				if err := fn(ch.Ref); err != nil {
					return err
				}
			}
		}
		children = []Ref{d.Base}
	}
	for _, ch := range children {
		if err := t.reach(ctx, ch, depth, visited, fn); err != nil {
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
func (t *trees) walkDelta(ctx context.Context, d *Delta, depth int, fn func(Entry) error) error {
	changes := make(map[string]int, len(d.Changes))
	for i, c := range d.Changes {
		changes[c.Key] = i
	}
	if len(changes) != len(d.Changes) {
		return fmt.Errorf("%w: a delta names a key twice", ErrCorrupt)
	}
	seen := make([]bool, len(d.Changes))
	err := t.walkDepth(ctx, d.Base, depth+1, func(e Entry) error {
		i, ok := changes[e.Key]
		if !ok {
			return fn(e)
		}
		seen[i] = true
		if c := d.Changes[i]; !c.Removed {
			return fn(Entry{Key: c.Key, Ref: c.Ref})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range d.Changes {
		if !seen[i] && !c.Removed {
			if err := fn(Entry{Key: c.Key, Ref: c.Ref}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Restorer reads the objects of chosen snapshots back from the target.
// Prepare downloads each data pack that holds one of their objects once,
// and keeps the objects they need in a temporary file; Objects then reads
// a snapshot's objects from it.
type Restorer struct {
	r     *Repo
	idx   *index
	trees *trees
	snaps []*Snapshot
	tmp   *os.File
	blobs map[Ref]prepared
	// Downloaded counts the bytes of the packs read.
	Downloaded int64
}

// prepared is an object in the Restorer's temporary file.
type prepared struct {
	id     ID
	off, n int64
}

// NewRestorer prepares the restore of snaps into tmpDir's temporary file.
func (r *Repo) NewRestorer(ctx context.Context, snaps []*Snapshot, tmpDir string) (*Restorer, error) {
	if r.opts.BlobID == nil {
		return nil, fmt.Errorf("%w: restore needs Options.BlobID", ErrInvalid)
	}
	if err := r.noPrune(ctx); err != nil {
		return nil, err
	}
	rs, err := r.newRestorer(ctx, snaps, tmpDir)
	if err != nil && !errors.Is(err, context.Canceled) {
		if lerr := r.noPrune(ctx); lerr != nil {
			return nil, fmt.Errorf("%w (a prune started while restore read the target: run it again after the prune: %w)", err, lerr)
		}
	}
	return rs, err
}

func (r *Repo) newRestorer(ctx context.Context, snaps []*Snapshot, tmpDir string) (*Restorer, error) {
	idx, err := r.loadIndex(ctx, false)
	if err != nil {
		return nil, err
	}
	rs := &Restorer{r: r, idx: idx, trees: newTrees(r, idx), snaps: snaps, blobs: map[Ref]prepared{}}
	need := map[ID][]Ref{} // pack -> blobs
	seen := map[Ref]bool{}
	visited := map[Ref]bool{} // chunks: a tree the snapshots share is read once
	for _, s := range snaps {
		for name, t := range s.Collections {
			err := rs.trees.reach(ctx, t.Root.Ref(), 0, visited, func(ref Ref) error {
				if seen[ref] {
					return nil
				}
				seen[ref] = true
				loc, ok := idx.lookup(ref)
				if !ok || loc.Type != DataBlob {
					return fmt.Errorf("%w: object %x is in no index", ErrCorrupt, ref[:6])
				}
				need[loc.pack] = append(need[loc.pack], ref)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("snapshot %s of %s, collection %s: %w", s.LocalID, s.Workspace, name, err)
			}
		}
	}
	if rs.tmp, err = os.CreateTemp(tmpDir, ".offsite-restore-*"); err != nil {
		return nil, err
	}
	os.Remove(rs.tmp.Name())
	// Packs are downloaded restoreConcurrency at a time; their objects
	// are appended to the file one pack at a time.
	var mu sync.Mutex
	var off int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(restoreConcurrency)
	for pack, ids := range need {
		g.Go(func() error {
			pc, err := r.readPack(gctx, pack)
			if err != nil {
				return err
			}
			chunks := make([][]byte, len(ids))
			full := make([]ID, len(ids))
			for i, id := range ids {
				loc, _ := idx.lookup(id)
				if chunks[i], full[i], err = pc.blob(loc.PackedBlob, r.opts.BlobID); err != nil {
					return err
				}
			}
			mu.Lock()
			defer mu.Unlock()
			rs.Downloaded += int64(len(pc.plain))
			for i, id := range ids {
				if _, err := rs.tmp.Write(chunks[i]); err != nil {
					return err
				}
				rs.blobs[id] = prepared{id: full[i], off: off, n: int64(len(chunks[i]))}
				off += int64(len(chunks[i]))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		rs.Close()
		return nil, err
	}
	return rs, nil
}

// Objects calls fn with each object of s: collection, key and raw JSON.
func (rs *Restorer) Objects(ctx context.Context, s *Snapshot, fn func(collection, key string, raw []byte) error) error {
	return rs.Entries(ctx, s, func(collection, key string, id ID) error {
		raw, err := rs.Raw(id)
		if err != nil {
			return err
		}
		return fn(collection, key, raw)
	})
}

// Entries calls fn with each object of s: collection, key and id, an id
// whose bytes NewRestorer found in the pack the index places it in and,
// when Options.BlobID is set, checked against the id.
func (rs *Restorer) Entries(ctx context.Context, s *Snapshot, fn func(collection, key string, id ID) error) error {
	for name := range s.Collections {
		err := rs.CollectionEntries(ctx, s, name, func(key string, id ID) error { return fn(name, key, id) })
		if err != nil {
			return err
		}
	}
	return nil
}

// CollectionEntries calls fn with each object of the collection name of
// s, as Entries does; none when s lacks the collection.
func (rs *Restorer) CollectionEntries(ctx context.Context, s *Snapshot, name string, fn func(key string, id ID) error) error {
	t, ok := s.Collections[name]
	if !ok {
		return nil
	}
	err := rs.trees.walk(ctx, t.Root.Ref(), func(e Entry) error {
		id, err := rs.objectID(e.Ref)
		if err != nil {
			return err
		}
		return fn(e.Key, id)
	})
	if err != nil {
		return fmt.Errorf("collection %s: %w", name, err)
	}
	return nil
}

// Changes calls fn with each change of the collection name of s against
// the tree under base (the same collection of the snapshot pushed before
// s), when s holds that collection as a delta on base (see the package
// doc: format 2, deltas): each key set, with its object's id, or removed.
// It reads the delta alone, not the entries of base, and reports whether
// s holds such a delta; when it does not, fn is not called and the
// caller compares the two trees' entries.
func (rs *Restorer) Changes(ctx context.Context, s *Snapshot, name string, base ID, fn func(key string, id ID, removed bool) error) (bool, error) {
	t, ok := s.Collections[name]
	if !ok {
		return false, nil
	}
	c, err := rs.trees.chunk(ctx, t.Root.Ref())
	if err != nil {
		return false, fmt.Errorf("collection %s: %w", name, err)
	}
	if c.delta == nil || c.delta.Base != base.Ref() {
		return false, nil
	}
	seen := make(map[string]bool, len(c.delta.Changes))
	for _, ch := range c.delta.Changes {
		if seen[ch.Key] {
			return true, fmt.Errorf("collection %s: %w: a delta names a key twice", name, ErrCorrupt)
		}
		seen[ch.Key] = true
	}
	for _, ch := range c.delta.Changes {
		var id ID
		if !ch.Removed {
			if id, err = rs.objectID(ch.Ref); err != nil {
				return true, fmt.Errorf("collection %s: %w", name, err)
			}
		}
		if err := fn(ch.Key, id, ch.Removed); err != nil {
			return true, err
		}
	}
	return true, nil
}

// objectID returns the id of a prepared object.
func (rs *Restorer) objectID(ref Ref) (ID, error) {
	loc, ok := rs.blobs[ref]
	if !ok {
		return ID{}, fmt.Errorf("%w: object %x was not prepared", ErrCorrupt, ref[:6])
	}
	return loc.id, nil
}

// Raw returns the bytes of an object of the chosen snapshots.
func (rs *Restorer) Raw(id ID) ([]byte, error) {
	loc, ok := rs.blobs[id.Ref()]
	if !ok {
		return nil, fmt.Errorf("%w: object %s was not prepared", ErrCorrupt, id.Short())
	}
	buf := make([]byte, loc.n)
	if _, err := rs.tmp.ReadAt(buf, loc.off); err != nil {
		return nil, err
	}
	return buf, nil
}

// Close removes the temporary file.
func (rs *Restorer) Close() error {
	if rs.tmp == nil {
		return nil
	}
	return rs.tmp.Close()
}
