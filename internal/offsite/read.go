package offsite

import (
	"context"
	"fmt"
	"os"
)

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
	chunks map[ID][]byte
	read   map[ID]bool
}

func newTrees(r *Repo, idx *index) *trees {
	return &trees{r: r, idx: idx, chunks: map[ID][]byte{}, read: map[ID]bool{}}
}

func (t *trees) chunk(ctx context.Context, id ID) ([]byte, error) {
	if c, ok := t.chunks[id]; ok {
		return c, nil
	}
	loc, ok := t.idx.blobs[id]
	if !ok || loc.Type != TreeBlob {
		return nil, fmt.Errorf("%w: tree chunk %s is in no index", ErrCorrupt, id.Short())
	}
	if t.read[loc.pack] {
		return nil, fmt.Errorf("%w: tree chunk %s is not in data/%s", ErrCorrupt, id.Short(), loc.pack.Short())
	}
	t.read[loc.pack] = true
	plain, blobs, err := t.r.readPack(ctx, loc.pack)
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
		t.chunks[b.ID] = c
	}
	return t.chunk(ctx, id)
}

// walk calls fn for each entry of the tree under root, in order.
func (t *trees) walk(ctx context.Context, root ID, fn func(Entry) error) error {
	c, err := t.chunk(ctx, root)
	if err != nil {
		return err
	}
	leaf, children, err := decodeChunk(c)
	if err != nil {
		return fmt.Errorf("chunk %s: %w", root.Short(), err)
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
	blobs map[ID][2]int64 // offset, length in tmp
	// Downloaded counts the bytes of the packs read.
	Downloaded int64
}

// NewRestorer prepares the restore of snaps into tmpDir's temporary file.
func (r *Repo) NewRestorer(ctx context.Context, snaps []*Snapshot, tmpDir string) (*Restorer, error) {
	idx, err := r.loadIndex(ctx)
	if err != nil {
		return nil, err
	}
	rs := &Restorer{r: r, idx: idx, trees: newTrees(r, idx), snaps: snaps, blobs: map[ID][2]int64{}}
	need := map[ID][]ID{} // pack -> blobs
	seen := map[ID]bool{}
	for _, s := range snaps {
		for name, t := range s.Collections {
			err := rs.trees.walk(ctx, t.Root, func(e Entry) error {
				if seen[e.ID] {
					return nil
				}
				seen[e.ID] = true
				loc, ok := idx.blobs[e.ID]
				if !ok || loc.Type != DataBlob {
					return fmt.Errorf("%w: object %s is in no index", ErrCorrupt, e.ID.Short())
				}
				need[loc.pack] = append(need[loc.pack], e.ID)
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
	var off int64
	for pack, ids := range need {
		if err := ctx.Err(); err != nil {
			rs.Close()
			return nil, err
		}
		plain, blobs, err := r.readPack(ctx, pack)
		if err != nil {
			rs.Close()
			return nil, err
		}
		rs.Downloaded += int64(len(plain))
		in := map[ID]PackedBlob{}
		for _, b := range blobs {
			in[b.ID] = b
		}
		for _, id := range ids {
			b, ok := in[id]
			if !ok {
				rs.Close()
				return nil, fmt.Errorf("%w: data/%s lacks object %s that the index places there", ErrCorrupt, pack.Short(), id.Short())
			}
			c := plain[b.Offset : b.Offset+b.Length]
			if r.opts.BlobID != nil {
				if got, err := r.opts.BlobID(c); err != nil || got != id {
					rs.Close()
					return nil, fmt.Errorf("%w: data/%s: object %s does not hash to its id", ErrCorrupt, pack.Short(), id.Short())
				}
			}
			if _, err := rs.tmp.Write(c); err != nil {
				rs.Close()
				return nil, err
			}
			rs.blobs[id] = [2]int64{off, int64(len(c))}
			off += int64(len(c))
		}
	}
	return rs, nil
}

// Objects calls fn with each object of s: collection, key and raw JSON.
func (rs *Restorer) Objects(ctx context.Context, s *Snapshot, fn func(collection, key string, raw []byte) error) error {
	for name, t := range s.Collections {
		err := rs.trees.walk(ctx, t.Root, func(e Entry) error {
			loc, ok := rs.blobs[e.ID]
			if !ok {
				return fmt.Errorf("%w: object %s was not prepared", ErrCorrupt, e.ID.Short())
			}
			buf := make([]byte, loc[1])
			if _, err := rs.tmp.ReadAt(buf, loc[0]); err != nil {
				return err
			}
			return fn(name, e.Key, buf)
		})
		if err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
	}
	return nil
}

// Close removes the temporary file.
func (rs *Restorer) Close() error {
	if rs.tmp == nil {
		return nil
	}
	return rs.tmp.Close()
}
