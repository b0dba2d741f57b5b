package offsite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
)

// restoreConcurrency is how many packs restore downloads at once.
const restoreConcurrency = 4

// Restorer reads the objects of chosen snapshots back from the target.
// NewRestorer downloads each data pack that holds one of their objects
// once, and keeps the objects they need in a temporary file; Entries,
// Changes and Raw then read the snapshots' objects from it.
//
// The temporary file is written one pack's objects at a time (one write
// a pack, not one an object), and read back through a few windows of
// readWindow bytes: restore-db asks for objects in nearly the order of
// the file (a pack holds the objects of a tree walk in key order), so
// most reads are copies from a window. The objects' places are a slice
// sorted by id, 48 bytes an object (a map from ref to place took about
// twice that).
type Restorer struct {
	r     *Repo
	idx   *index
	trees *trees
	snaps []*Snapshot
	tmp   *os.File
	objs  []prepared // sorted by id
	win   readWindows
	// Downloaded counts the bytes of the packs read.
	Downloaded int64
}

// prepared is an object in the Restorer's temporary file.
type prepared struct {
	id  ID
	off int64
	n   uint32
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
	rs := &Restorer{r: r, idx: idx, trees: newTrees(r, idx), snaps: snaps}
	need, err := rs.needed(ctx)
	if err != nil {
		return nil, err
	}
	if rs.tmp, err = os.CreateTemp(tmpDir, ".offsite-restore-*"); err != nil {
		return nil, err
	}
	os.Remove(rs.tmp.Name())
	rs.win.f = rs.tmp
	// Packs are downloaded restoreConcurrency at a time; each pack's
	// objects are written to the file in one piece, at a place taken
	// under the lock.
	var mu sync.Mutex
	var off int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(restoreConcurrency)
	for p, want := range need {
		g.Go(func() error {
			pack := idx.packList[p]
			pc, err := r.readPack(gctx, pack)
			if err != nil {
				return err
			}
			var buf []byte
			var got []prepared
			for i, b := range idx.packs[pack] {
				if !want[i] {
					continue
				}
				c, id, err := pc.blob(b, r.opts.BlobID)
				if err != nil {
					return err
				}
				got = append(got, prepared{id: id, off: int64(len(buf)), n: uint32(len(c))})
				buf = append(buf, c...)
			}
			mu.Lock()
			at := off
			off += int64(len(buf))
			rs.Downloaded += int64(len(pc.plain))
			for i := range got {
				got[i].off += at
			}
			rs.objs = append(rs.objs, got...)
			mu.Unlock()
			_, err = rs.tmp.WriteAt(buf, at)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		rs.Close()
		return nil, err
	}
	slices.SortFunc(rs.objs, func(a, b prepared) int { return bytes.Compare(a.id[:], b.id[:]) })
	return rs, nil
}

// needed reads the trees of the Restorer's snapshots, each chunk once,
// and returns the objects they name: for each pack (by its place in the
// index's list) that holds one, which of its blobs.
func (rs *Restorer) needed(ctx context.Context) (map[uint32][]bool, error) {
	need := map[uint32][]bool{}
	visited := map[Ref]bool{} // chunks: a tree the snapshots share is read once
	for _, s := range rs.snaps {
		for name, t := range s.Collections {
			err := rs.trees.reach(ctx, t.Root.Ref(), 0, visited, func(ref Ref) error {
				at, ok := rs.idx.blobs[ref]
				if ok && rs.idx.packs[rs.idx.packList[at.pack]][at.blob].Type != DataBlob {
					ok = false
				}
				if !ok {
					return fmt.Errorf("%w: object %x is in no index", ErrCorrupt, ref[:6])
				}
				want := need[at.pack]
				if want == nil {
					want = make([]bool, len(rs.idx.packs[rs.idx.packList[at.pack]]))
					need[at.pack] = want
				}
				want[at.blob] = true
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("snapshot %s of %s, collection %s: %w", s.LocalID, s.Workspace, name, err)
			}
		}
	}
	return need, nil
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

// find returns the prepared object whose id has ref.
func (rs *Restorer) find(ref Ref) (prepared, bool) {
	i := sort.Search(len(rs.objs), func(i int) bool { return bytes.Compare(rs.objs[i].id[:len(ref)], ref[:]) >= 0 })
	if i < len(rs.objs) && Ref(rs.objs[i].id[:len(ref)]) == ref {
		return rs.objs[i], true
	}
	return prepared{}, false
}

// objectID returns the id of a prepared object.
func (rs *Restorer) objectID(ref Ref) (ID, error) {
	p, ok := rs.find(ref)
	if !ok {
		return ID{}, fmt.Errorf("%w: object %x was not prepared", ErrCorrupt, ref[:6])
	}
	return p.id, nil
}

// Raw returns the bytes of an object of the chosen snapshots.
func (rs *Restorer) Raw(id ID) ([]byte, error) {
	p, ok := rs.find(id.Ref())
	if !ok || p.id != id {
		return nil, fmt.Errorf("%w: object %s was not prepared", ErrCorrupt, id.Short())
	}
	return rs.win.read(p.off, int(p.n))
}

// Close removes the temporary file.
func (rs *Restorer) Close() error {
	if rs.tmp == nil {
		return nil
	}
	return rs.tmp.Close()
}

// readWindow is the size of each of readWindows' windows.
const readWindow = 1 << 20

// readWindows reads a file through a few windows, the least recently
// used refilled from the offset asked for when none holds the bytes.
type readWindows struct {
	mu   sync.Mutex
	f    *os.File
	w    [4]window
	tick uint64
}

type window struct {
	off  int64
	b    []byte
	used uint64
}

// read returns a copy of the n bytes at off.
func (rw *readWindows) read(off int64, n int) ([]byte, error) {
	out := make([]byte, n)
	if n > readWindow {
		_, err := rw.f.ReadAt(out, off)
		return out, err
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.tick++
	lru := &rw.w[0]
	for i := range rw.w {
		w := &rw.w[i]
		if off >= w.off && off+int64(n) <= w.off+int64(len(w.b)) {
			w.used = rw.tick
			copy(out, w.b[off-w.off:])
			return out, nil
		}
		if w.used < lru.used {
			lru = w
		}
	}
	if lru.b == nil {
		lru.b = make([]byte, readWindow)
	}
	k, err := rw.f.ReadAt(lru.b[:readWindow], off)
	if k < n {
		lru.b, lru.used = lru.b[:0], 0
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	lru.off, lru.b, lru.used = off, lru.b[:k], rw.tick
	copy(out, lru.b)
	return out, nil
}
