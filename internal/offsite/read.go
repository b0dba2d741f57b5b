package offsite

import (
	"context"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sync/errgroup"
)

// restoreConcurrency is how many packs restore downloads at once.
const restoreConcurrency = 4

// readPack downloads a pack, checks its hash, decrypts and decompresses
// it, and returns its content and blobs.
func (r *Repo) readPack(ctx context.Context, id ID) ([]byte, []PackedBlob, error) {
	b, err := r.getSealed(ctx, "data/", id, kindPack)
	if err != nil {
		return nil, nil, err
	}
	plain, err := decompress(b, maxPackPlain)
	if err != nil {
		return nil, nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	blobs, err := decodePack(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("data/%s: %w", id.Short(), err)
	}
	return plain, blobs, nil
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

func (t *trees) chunk(ctx context.Context, id Ref) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.chunkLocked(ctx, id)
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
	plain, blobs, err := t.r.readPack(ctx, loc.pack)
	t.read[loc.pack] = err
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		if b.Type != TreeBlob {
			continue
		}
		c := plain[b.Offset : b.Offset+b.Length]
		if hashOf(c) != b.ID {
			return nil, fmt.Errorf("%w: data/%s: tree chunk %s does not hash to its id", ErrCorrupt, loc.pack.Short(), b.ID.Short())
		}
		t.chunks[b.ID.Ref()] = c
	}
	return t.chunkLocked(ctx, id)
}

// walk calls fn for each entry of the tree under root, in order.
func (t *trees) walk(ctx context.Context, root Ref, fn func(Entry) error) error {
	c, err := t.chunk(ctx, root)
	if err != nil {
		return err
	}
	leaf, children, err := decodeChunk(c)
	if err != nil {
		return fmt.Errorf("chunk %x: %w", root[:6], err)
	}
	for _, e := range leaf {
		if err := fn(e); err != nil {
			return err
		}
	}
	for _, ch := range children {
		if err := t.walk(ctx, ch, fn); err != nil {
			return err
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
	idx, err := r.loadIndex(ctx, false)
	if err != nil {
		return nil, err
	}
	rs := &Restorer{r: r, idx: idx, trees: newTrees(r, idx), snaps: snaps, blobs: map[Ref]prepared{}}
	need := map[ID][]Ref{} // pack -> blobs
	seen := map[Ref]bool{}
	for _, s := range snaps {
		for name, t := range s.Collections {
			err := rs.trees.walk(ctx, t.Root.Ref(), func(e Entry) error {
				if seen[e.Ref] {
					return nil
				}
				seen[e.Ref] = true
				loc, ok := idx.lookup(e.Ref)
				if !ok || loc.Type != DataBlob {
					return fmt.Errorf("%w: object %x is in no index", ErrCorrupt, e.Ref[:6])
				}
				need[loc.pack] = append(need[loc.pack], e.Ref)
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
			plain, blobs, err := r.readPack(gctx, pack)
			if err != nil {
				return err
			}
			in := map[Ref]PackedBlob{}
			for _, b := range blobs {
				in[b.ID.Ref()] = b
			}
			chunks := make([][]byte, len(ids))
			for i, id := range ids {
				b, ok := in[id]
				loc, _ := idx.lookup(id)
				if !ok || b.ID != loc.ID {
					return fmt.Errorf("%w: data/%s lacks object %x that the index places there", ErrCorrupt, pack.Short(), id[:6])
				}
				c := plain[b.Offset : b.Offset+b.Length]
				if r.opts.BlobID != nil {
					if got, err := r.opts.BlobID(c); err != nil || got != b.ID {
						return fmt.Errorf("%w: data/%s: object %s does not hash to its id", ErrCorrupt, pack.Short(), b.ID.Short())
					}
				}
				chunks[i] = c
			}
			mu.Lock()
			defer mu.Unlock()
			rs.Downloaded += int64(len(plain))
			for i, id := range ids {
				if _, err := rs.tmp.Write(chunks[i]); err != nil {
					return err
				}
				loc, _ := idx.lookup(id)
				rs.blobs[id] = prepared{id: loc.ID, off: off, n: int64(len(chunks[i]))}
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
	for name, t := range s.Collections {
		err := rs.trees.walk(ctx, t.Root.Ref(), func(e Entry) error {
			loc, ok := rs.blobs[e.Ref]
			if !ok {
				return fmt.Errorf("%w: object %x was not prepared", ErrCorrupt, e.Ref[:6])
			}
			return fn(name, e.Key, loc.id)
		})
		if err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
	}
	return nil
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
