package offsite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// restoreConcurrency is how many packs restore downloads at once.
const restoreConcurrency = 4

// Restorer reads the objects of chosen snapshots back from the target.
// NewRestorer loads the index and returns; in the background it reads
// the snapshots' trees and downloads each data pack that holds one of
// their objects once, as soon as the trees name it, and keeps the
// objects they need in a temporary file; Entries, Changes and Raw read
// the snapshots' objects from it, each waiting for its pack, so that
// restore-db files the first packs' objects while the trees of the last
// snapshots are read and later packs download. Wait waits for every
// pack.
//
// Packs are prepared in the order the snapshots' trees first name them
// (a first push packs a collection's objects in key order, the order a
// walk gives them), downloaded restoreConcurrency at a time, then
// decrypted, decompressed and checked runtime.GOMAXPROCS at a time (on 2
// processors the first two packs the import waits for are then ready
// after their own work, not after a share of four packs' work), and each
// pack's decompressed content is written to the file in one piece (one
// write a pack: a write per object, then a copy of its objects into one
// buffer, took 0.14 and 0.27 CPU-seconds of a 1.3 s restore). The file
// is read back through a few windows of
// readWindow bytes: restore-db asks for objects in nearly the order of
// the file, so most reads are copies from a window. Each pack's content
// is followed in the file by the ids of its objects, 32 bytes a blob in
// the pack's order, so that an object's id and bytes are found through
// the index (its pack, position, offset and length) and the pack's place
// in the file: memory holds no table of the objects (a table of id and
// place, 48 bytes an object, was 52 MB of a million-item restore).
//
// A pack starts downloading when the trees first name one of its
// objects, before they are all read, so its preparation checks every
// object it holds (an object named after the check began would
// otherwise need a second download): a restore of every snapshot needs
// nearly all of them anyway, and one of a few snapshots of a long
// history hashes some objects in vain, at most the content it
// downloaded and decompressed.
type Restorer struct {
	r     *Repo
	idx   *index
	trees *trees
	snaps []*Snapshot
	tmp   *os.File
	packs []atomic.Pointer[preparing] // by the pack's place in idx.packList; nil: not needed (yet)
	blobs [][]PackedBlob              // idx.packs by the pack's place: a slice index where a map look-up by 32-byte id took one an object, three times
	win   readWindows
	late  lateRes // the index's entries given by chunk, resolved as the trees are read

	// places holds, by leaf chunk that discover read and no walk of
	// CollectionObjects or CollectionEntries has taken yet, the place
	// of each of its entries (noPlace: not found then), so that the
	// import of a full tree (a chain's first, or a later one compared
	// with the one before) looks no object up in the maps of refs
	// again: a million look-ups beyond the processor's caches were a
	// quarter of the import's time.
	placesMu sync.Mutex
	places   map[Ref][]slot

	rootPacks []ID // the tree packs of the snapshots' roots, noted as loading

	queue      chan *preparing   // packs to prepare, in the order the trees name them
	cpu        chan *packScratch // a token for each pack being decrypted, decompressed and checked (runtime.GOMAXPROCS), with the memory it works in
	discovered chan struct{}     // closed when every tree is read or the reading failed
	discErr    error             // the reading's error, once discovered is closed (or discDone is seen set)

	// progress is signalled as discover finishes with tree chunks
	// (their entries resolved, their objects' packs queued, their
	// places published: every 64 chunks and at the end of each tree)
	// and when the reading ends (discDone, under its lock): a look-up
	// that finds nothing yet waits for the chunk that names its object,
	// not for every tree of every snapshot (await).
	progress sync.Cond
	progMu   sync.Mutex
	discDone bool

	cancel  context.CancelFunc
	fetched chan struct{} // closed when every pack is prepared or the preparation failed
	err     error         // the preparation's error, once fetched is closed

	// Downloaded counts the bytes of the packs read, once Wait returned.
	Downloaded int64
}

// preparing is a pack whose objects the Restorer prepares. Once done is
// closed and ok set, the file holds the pack's content at at and the
// ids of its blobs at ids, up to end.
type preparing struct {
	pack         uint32
	at, ids, end int64
	done         chan struct{}
	ok           bool // set before done is closed
}

// NewRestorer prepares the restore of snaps into tmpDir's temporary file.
// It returns once it has loaded the index; the trees are read and the
// packs download in the background until Wait or Close. An error in the
// trees comes from Wait, Err, or the call that needed what it stopped.
func (r *Repo) NewRestorer(ctx context.Context, snaps []*Snapshot, tmpDir string) (*Restorer, error) {
	if r.opts.BlobID == nil {
		return nil, fmt.Errorf("%w: restore needs Options.BlobID", ErrInvalid)
	}
	if err := r.noPrune(ctx); err != nil {
		return nil, err
	}
	rs, err := r.newRestorer(ctx, snaps, tmpDir)
	return rs, r.explain(ctx, err)
}

// explain adds to a failed restore's error that a prune started
// meanwhile, if one did: it may have replaced what was missing.
func (r *Repo) explain(ctx context.Context, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		// Only a live exclusive lock explains anything: a listing of
		// locks/ that fails says nothing about err.
		if lerr := r.noPrune(ctx); errors.Is(lerr, ErrLocked) {
			return fmt.Errorf("%w (a prune started while restore read the target: run it again after the prune: %w)", err, lerr)
		}
	}
	return err
}

// Explain adds to err, the error of a walk or read of the Restorer's
// snapshots, that a prune started while restore read the target, if one
// did (Err does so only for errors of the Restorer's own reading). Only
// an error the target's contents could cause is explained (something
// missing or damaged there): a local error (a full disk) is returned as
// it is.
func (rs *Restorer) Explain(ctx context.Context, err error) error {
	if !isNotExist(err) && !errors.Is(err, ErrCorrupt) {
		return err
	}
	return rs.r.explain(ctx, err)
}

func (r *Repo) newRestorer(ctx context.Context, snaps []*Snapshot, tmpDir string) (*Restorer, error) {
	idx, err := r.loadIndexFiles(ctx, false, true)
	if err != nil {
		return nil, err
	}
	n := len(idx.packList)
	rs := &Restorer{r: r, idx: idx, trees: newTrees(r, idx), snaps: snaps, packs: make([]atomic.Pointer[preparing], n),
		places: map[Ref][]slot{}, queue: make(chan *preparing, n), cpu: newScratches(max(1, runtime.GOMAXPROCS(0))), discovered: make(chan struct{}), fetched: make(chan struct{})}
	rs.progress.L = &rs.progMu
	rs.initLate()
	rs.blobs = make([][]PackedBlob, n)
	for i, p := range idx.packList {
		rs.blobs[i] = idx.packs[p]
	}
	if rs.tmp, err = os.CreateTemp(tmpDir, ".offsite-restore-*"); err != nil {
		return nil, err
	}
	os.Remove(rs.tmp.Name())
	rs.win.f = rs.tmp
	// The snapshots' roots: their packs hold nearly every tree chunk (a
	// first push's tree, then each push's deltas and new chunks). They
	// are noted as loading before any walk starts (the caller's or
	// discover's), so that a walk waits for them to arrive instead of
	// reading one alone (trees.chunk reads holding the trees' lock) while
	// the others and every data pack wait.
	var roots []Ref
	for _, s := range snaps {
		for _, name := range slices.Sorted(maps.Keys(s.Collections)) {
			roots = append(roots, s.Collections[name].Root.Ref())
		}
	}
	rs.rootPacks = rs.trees.preloadStart(roots)
	fctx, cancel := context.WithCancel(ctx)
	rs.cancel = cancel
	go rs.fetch(fctx)
	return rs, nil
}

// fetch reads the trees (discover) and prepares the packs they name,
// restoreConcurrency at a time, as they are named: each pack's content
// is written to the file as it is (one write, no copy), then the ids of
// the objects needed from it, at a place taken under the lock, once
// those objects are checked. Every pack queued has its done closed,
// prepared or not.
func (rs *Restorer) fetch(ctx context.Context) {
	var mu sync.Mutex
	var off int64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rs.trees.preloadRun(gctx, rs.rootPacks)
		return nil
	})
	g.Go(func() error {
		defer close(rs.discovered)
		defer rs.progressed(true)
		defer close(rs.queue)
		rs.discErr = rs.discover(gctx)
		return rs.discErr
	})
	for range restoreConcurrency {
		g.Go(func() error {
			var first error
			for ps := range rs.queue {
				if first == nil {
					first = gctx.Err()
				}
				if first == nil {
					first = rs.prepare(gctx, ps, &mu, &off)
				}
				close(ps.done)
			}
			return first
		})
	}
	rs.err = g.Wait()
	// Every pack is prepared: the import, still running, does not need
	// the memory the preparations worked in (some MiB a processor).
	for range cap(rs.cpu) {
		<-rs.cpu
	}
	if rs.err == nil {
		rs.err = rs.checkLate()
	}
	close(rs.fetched)
}

// prepare downloads ps's pack, checks each of its objects, and writes
// the pack and their ids to the file.
func (rs *Restorer) prepare(ctx context.Context, ps *preparing, mu *sync.Mutex, off *int64) error {
	pack := rs.idx.packList[ps.pack]
	sealed, err := rs.r.fetchSealed(ctx, "data/", pack)
	if err != nil {
		return err
	}
	// What follows the download takes CPU alone: a pack at a time for
	// each processor, in the order the downloads end, so that the first
	// packs the import waits for are ready first instead of every pack
	// being downloaded sharing the processors with the others.
	var sc *packScratch
	select {
	case sc = <-rs.cpu:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { rs.cpu <- sc }()
	if testHookPrepareOpen != nil {
		testHookPrepareOpen()
	}
	pc, err := rs.r.openPack(pack, sealed, sc)
	if err != nil {
		return err
	}
	defer sc.keep(pc)
	blobs := rs.blobs[ps.pack]
	ids := sc.idsFor(len(blobs))
	// The refs resolved so far, read under one lock (one a blob held
	// back discover's resolveChunk, which writes them): a ref resolved
	// after this is checked by the look-up that asks for it, or by
	// checkLate.
	resolved, byChunk := rs.resolvedRefs(ps.pack)
	for i, b := range blobs {
		if b.Type != DataBlob {
			continue
		}
		var id ID
		var ref Ref
		if byChunk {
			ref = resolved[i]
		}
		if byChunk && ref == (Ref{}) {
			// Given by a chunk not read yet: its place is checked
			// now, its id against its ref once it is looked up.
			c, _, err := pc.blob(b, nil)
			if err != nil {
				return err
			}
			if id, err = rs.r.opts.BlobID(c); err != nil {
				return fmt.Errorf("%w: data/%s: object %d: %v", ErrCorrupt, pack.Short(), i, err)
			}
		} else {
			if byChunk {
				b.Ref = ref
			}
			if _, id, err = pc.blob(b, rs.r.opts.BlobID); err != nil {
				return err
			}
		}
		copy(ids[i*len(id):], id[:])
	}
	if rs.r.cachePath(idsDir) != "" {
		// Seed the cache of known ids: a push from this machine then
		// confirms the short names of these objects without reading them.
		offs, id := knownIDs(blobs, ids, sc)
		sc.file, sc.sealed = rs.r.saveSortedIDs(pack, offs, id, sc.file, sc.sealed)
	}
	mu.Lock()
	at := *off
	*off += int64(len(pc.plain) + len(ids))
	rs.Downloaded += int64(len(pc.plain))
	mu.Unlock()
	if _, err := rs.tmp.WriteAt(pc.plain, at); err != nil {
		return err
	}
	if _, err := rs.tmp.WriteAt(ids, at+int64(len(pc.plain))); err != nil {
		return err
	}
	ps.at, ps.ids, ps.end, ps.ok = at, at+int64(len(pc.plain)), at+int64(len(pc.plain)+len(ids)), true
	return nil
}

// knownIDs returns the offsets of the data blobs of a pack, ascending,
// and a function that gives the id of each from ids (the id of blob i
// at ids[32*i:]), for saveSortedIDs; an offset listed twice gives its
// last blob's id, as a map by offset did. Its lists are sc's (at, offs,
// last): valid until sc's next pack.
func knownIDs(blobs []PackedBlob, ids []byte, sc *packScratch) ([]uint32, func(int) ID) {
	at := sc.at[:0]
	for i, b := range blobs {
		if b.Type == DataBlob {
			at = append(at, i)
		}
	}
	sc.at = at
	byOff := func(i, j int) int { return cmp.Compare(blobs[i].Offset, blobs[j].Offset) }
	if !slices.IsSortedFunc(at, byOff) {
		slices.SortStableFunc(at, byOff)
	}
	offs, last := sc.offs[:0], sc.last[:0]
	for _, i := range at {
		if n := len(offs); n > 0 && offs[n-1] == blobs[i].Offset {
			last[n-1] = i
			continue
		}
		offs = append(offs, blobs[i].Offset)
		last = append(last, i)
	}
	sc.offs, sc.last = offs, last
	return offs, func(k int) (id ID) {
		copy(id[:], ids[last[k]*len(id):])
		return id
	}
}

// Wait waits until every pack the snapshots need is prepared, and
// returns the first error of their preparation: a tree or a pack that
// cannot be read, or an object that does not hash to its id.
func (rs *Restorer) Wait(ctx context.Context) error {
	select {
	case <-rs.fetched:
		return rs.r.explain(ctx, rs.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err returns the preparation's error if it failed, without waiting
// (but for the end of a preparation whose trees could not be read): the
// cause of an error that Entries, Changes or Raw returned.
func (rs *Restorer) Err(ctx context.Context) error {
	select {
	case <-rs.discovered:
		if rs.discErr != nil {
			<-rs.fetched
		}
	default:
	}
	select {
	case <-rs.fetched:
		return rs.r.explain(ctx, rs.err)
	default:
		return nil
	}
}

// discover reads the trees of the Restorer's snapshots, each chunk
// once, and queues the packs that hold the objects they name, in the
// order the trees first name them.
func (rs *Restorer) discover(ctx context.Context) error {
	visited := map[Ref]bool{} // chunks: a tree the snapshots share is read once
	// The places of the entries of the leaf chunk read last, published
	// (rs.places) once filled: when the next chunk is read, or the walk
	// ends.
	var leaf Ref
	var places []slot
	// Look-ups waiting for discover (await) are woken every
	// progressEvery chunks and at the end of each tree: woken at each
	// chunk, a walk close behind discover would wait and wake again
	// for every few objects.
	const progressEvery = 64
	chunks := 0
	publish := func(wake bool) {
		if places != nil {
			rs.placesMu.Lock()
			rs.places[leaf] = places
			rs.placesMu.Unlock()
		}
		places = nil
		if wake {
			rs.progressed(false)
		}
	}
	read := func(ref Ref, c chunk) {
		publish(chunks%progressEvery == 0)
		if testHookDiscoverRead != nil {
			testHookDiscoverRead(chunks)
		}
		chunks++
		rs.resolveChunk(ref, c)
		if c.delta == nil && len(c.leaf) > 0 {
			leaf, places = ref, make([]slot, len(c.leaf))
			for i := range places {
				places[i] = noPlace
			}
		}
	}
	for _, s := range rs.snaps {
		// In name order, the order restore-db files them in, so the
		// packs come ready in the order they are wanted.
		for _, name := range slices.Sorted(maps.Keys(s.Collections)) {
			t := s.Collections[name]
			err := rs.trees.reach(ctx, t.Root.Ref(), 0, visited, read, func(ref Ref, entry int) error {
				at, ok := rs.late.lastPlace(entry) // resolved by this chunk: no second look-up
				if !ok {
					if at, ok = rs.lookup(ref); !ok {
						return rs.mark(ctx, ref)
					}
				}
				if places != nil && entry < len(places) {
					places[entry] = at
				}
				return rs.markAt(ctx, ref, at)
			})
			publish(true)
			if err != nil {
				return fmt.Errorf("snapshot %s of %s, collection %s: %w", s.LocalID, s.Workspace, name, err)
			}
		}
		if testHookTreesRead != nil {
			testHookTreesRead(rs)
		}
	}
	return rs.resolveRest(ctx)
}

// progressed signals the Restorer's progress (done: the reading of the
// trees is over) to the look-ups waiting for it.
func (rs *Restorer) progressed(done bool) {
	rs.progMu.Lock()
	if done {
		rs.discDone = true
	}
	rs.progress.Broadcast()
	rs.progMu.Unlock()
}

// await waits until ok reports true, asking it again each time discover
// signals its progress (every 64 chunks it reads and at the end of each
// tree, not at each chunk), or until the reading of the trees is over;
// it returns ok's last answer. A look-up the import makes ahead of discover
// (a pack prepared while discover has not yet read every chunk that
// names its objects) waited for every tree of every snapshot to be read:
// at a million objects, the import of the first snapshot stood still
// for most of the reading.
func (rs *Restorer) await(ok func() bool) bool {
	if ok() {
		return true
	}
	if testHookAwait != nil {
		testHookAwait()
	}
	rs.progMu.Lock()
	defer rs.progMu.Unlock()
	for !ok() {
		if rs.discDone {
			return false
		}
		rs.progress.Wait()
	}
	return true
}

// testHookDiscoverRead, when set, is called by discover with the number
// of chunks it read before each one it reads.
var testHookDiscoverRead func(n int)

// testHookAwait, when set, is called by each look-up that waits for
// discover.
var testHookAwait func()

// testHookFind, when set, is called by CollectionObjects and
// CollectionEntries for each object they look up by its ref (not placed
// by discover).
var testHookFind func()

// testHookPrepareOpen, when set, is called by each pack's preparation
// once it holds its processor token, before it decrypts the pack.
var testHookPrepareOpen func()

// testHookTreesRead, when set, is called after each snapshot's trees
// are read.
var testHookTreesRead func(*Restorer)

// mark notes that the object whose ref is ref is needed, and queues its
// pack the first time.
func (rs *Restorer) mark(ctx context.Context, ref Ref) error {
	at, ok := rs.lookup(ref)
	if !ok && len(rs.late.by) > 0 {
		// Its entry may be given by a chunk not read yet.
		rs.late.marked = append(rs.late.marked, ref)
		return nil
	}
	if !ok {
		return rs.idx.notIndexed("object", ref)
	}
	return rs.markAt(ctx, ref, at)
}

// markAt is mark for the object whose ref is ref, found at at.
func (rs *Restorer) markAt(ctx context.Context, ref Ref, at slot) error {
	if rs.blobs[at.pack][at.blob].Type != DataBlob {
		return fmt.Errorf("%w: object %x is in no index", ErrCorrupt, ref[:6])
	}
	if rs.packs[at.pack].Load() != nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ps := &preparing{pack: at.pack, done: make(chan struct{})}
	rs.packs[at.pack].Store(ps)
	rs.queue <- ps
	return nil
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
	pf := placedFinder{rs: rs}
	err := rs.trees.walkAt(ctx, t.Root.Ref(), func(e Entry, chunk Ref, at int) error {
		ps, _, i, err := pf.find(e, chunk, at)
		var id ID
		if err == nil {
			id, err = rs.idAt(ps, i, e.Ref)
		}
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

// CollectionObjects calls fn with each object of the collection name of
// s, as CollectionEntries does, and its bytes, as Raw returns them (the
// caller's to keep): one look-up an object where CollectionEntries and
// Raw take two.
func (rs *Restorer) CollectionObjects(ctx context.Context, s *Snapshot, name string, fn func(key string, id ID, raw []byte) error) error {
	t, ok := s.Collections[name]
	if !ok {
		return nil
	}
	pf := placedFinder{rs: rs}
	err := rs.trees.walkAt(ctx, t.Root.Ref(), func(e Entry, chunk Ref, at int) error {
		ps, b, i, err := pf.find(e, chunk, at)
		if err != nil {
			return err
		}
		var id ID
		raw := make([]byte, b.Length)
		if err := rs.win.readTwo(id[:], ps.ids+i*int64(len(id)), raw, ps.at+int64(b.Offset), ps.end); err != nil {
			return err
		}
		if err := checkRef(id, e.Ref); err != nil {
			return err
		}
		return fn(e.Key, id, raw)
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

// find returns the pack that holds the object whose ref is ref, and its
// place in the pack, once the pack is prepared: the preparation's error
// if it failed.
func (rs *Restorer) find(ref Ref) (*preparing, PackedBlob, int64, error) {
	// Its entry may be resolved once discover reads the chunk that
	// names it.
	var at slot
	if !rs.await(func() (ok bool) { at, ok = rs.lookup(ref); return ok }) {
		return nil, PackedBlob{}, 0, rs.notPrepared(ref)
	}
	return rs.findAt(ref, at)
}

// placedFinder finds the objects of a walk (walkAt) of a full tree: at
// the places discover noted for the entries of each leaf chunk, taken
// (and so released) as the walk reaches the chunk, else by their refs.
// CollectionObjects (a chain's first snapshot) and CollectionEntries (a
// later full tree, compared with the one before) both take them: the
// places of a leaf no walk reaches are kept until the restore ends.
type placedFinder struct {
	rs      *Restorer
	of      Ref
	places  []slot
	retaken bool // of's places were asked for again
}

// find is Restorer.find for entry e, entry at of the leaf chunk chunk as
// walkAt gives them.
func (pf *placedFinder) find(e Entry, chunk Ref, at int) (*preparing, PackedBlob, int64, error) {
	if chunk != pf.of && chunk != (Ref{}) {
		pf.of, pf.places, pf.retaken = chunk, pf.rs.takePlaces(chunk), false
	}
	if chunk == pf.of && at >= 0 && at < len(pf.places) && pf.places[at] != noPlace {
		return pf.rs.findAt(e.Ref, pf.places[at])
	}
	if testHookFind != nil {
		testHookFind()
	}
	ps, b, i, err := pf.rs.find(e.Ref)
	if err == nil && chunk == pf.of && chunk != (Ref{}) && pf.places == nil && !pf.retaken {
		// The walk reached the chunk before discover did, and find
		// waited for discover to read it: its places are published now
		// (or about to be), for the chunk's other entries.
		pf.places, pf.retaken = pf.rs.takePlaces(chunk), true
	}
	return ps, b, i, err
}

// noPlace marks an entry of Restorer.places whose place is not known.
var noPlace = slot{math.MaxUint32, math.MaxUint32}

// takePlaces returns the places discover found for the entries of the
// leaf chunk ref, and forgets them; nil if it has none (yet).
func (rs *Restorer) takePlaces(ref Ref) []slot {
	rs.placesMu.Lock()
	defer rs.placesMu.Unlock()
	p := rs.places[ref]
	delete(rs.places, ref)
	return p
}

// findAt is find for the object whose ref is ref, at the place at that
// lookup gives it.
func (rs *Restorer) findAt(ref Ref, at slot) (*preparing, PackedBlob, int64, error) {
	// Its pack may not be named yet by the trees read so far.
	var ps *preparing
	if !rs.await(func() bool { ps = rs.packs[at.pack].Load(); return ps != nil }) {
		return nil, PackedBlob{}, 0, rs.notPrepared(ref)
	}
	b := rs.blobs[at.pack][at.blob]
	if b.Type != DataBlob {
		<-rs.discovered // notPrepared reads the reading's error
		return nil, PackedBlob{}, 0, rs.notPrepared(ref)
	}
	<-ps.done
	if !ps.ok {
		<-rs.fetched
		return nil, PackedBlob{}, 0, rs.err
	}
	return ps, b, int64(at.blob), nil
}

// notPrepared is the error for an object no tree named, once every
// tree is read: the trees' error, if their reading failed.
func (rs *Restorer) notPrepared(ref Ref) error {
	if rs.discErr != nil {
		return rs.discErr
	}
	return fmt.Errorf("%w: object %x was not prepared", ErrCorrupt, ref[:6])
}

// objectID returns the id of a prepared object.
func (rs *Restorer) objectID(ref Ref) (ID, error) {
	ps, _, i, err := rs.find(ref)
	if err != nil {
		return ID{}, err
	}
	return rs.idAt(ps, i, ref)
}

// idAt returns the id of object i of the prepared pack ps, checked
// against ref.
func (rs *Restorer) idAt(ps *preparing, i int64, ref Ref) (ID, error) {
	var id ID
	err := rs.win.read(id[:], ps.ids+i*int64(len(id)), ps.end)
	if err == nil {
		err = checkRef(id, ref)
	}
	return id, err
}

// checkRef checks that a prepared object's id, computed from its bytes,
// is the one its ref names (prepare checked it already unless the
// object's index entry was resolved after its pack was prepared).
func checkRef(id ID, ref Ref) error {
	if !id.named(ref) {
		r := ref // ref[:6] would move ref to the heap on every call
		return fmt.Errorf("%w: object %x does not hash to its id", ErrCorrupt, r[:6])
	}
	return nil
}

// Raw returns the bytes of an object of the chosen snapshots.
func (rs *Restorer) Raw(id ID) ([]byte, error) {
	// The object is found under one of its names: its long one (formats
	// 1 to 3, or a collision's), or a short one.
	// A name not found may be resolved once every tree is read.
	ref, found := id.Ref(), false
	for pass := 0; pass < 2 && !found; pass++ {
		if pass == 1 {
			<-rs.discovered
		}
		for _, n := range id.names() {
			if _, ok := rs.lookup(n); ok {
				ref, found = n, true
				break
			}
		}
	}
	ps, b, i, err := rs.find(ref)
	var got ID
	if err == nil {
		err = rs.win.read(got[:], ps.ids+i*int64(len(got)), ps.end)
	}
	if err != nil {
		return nil, err
	}
	if got != id {
		return nil, fmt.Errorf("%w: object %s was not prepared", ErrCorrupt, id.Short())
	}
	out := make([]byte, b.Length)
	return out, rs.win.read(out, ps.at+int64(b.Offset), ps.end)
}

// Close stops the preparation and removes the temporary file.
func (rs *Restorer) Close() error {
	if rs.tmp == nil {
		return nil
	}
	rs.cancel()
	<-rs.fetched
	return rs.tmp.Close()
}

// readWindow is the size of each of readWindows' windows.
const readWindow = 1 << 20

// readWindows reads a file through a few windows, the least recently
// used refilled from the offset asked for when none holds the bytes, up
// to the end of the pack's objects at most: the bytes after them may not
// be written yet.
type readWindows struct {
	mu   sync.Mutex
	f    *os.File
	w    [8]window
	tick uint64
}

type window struct {
	off  int64
	b    []byte
	used uint64
}

// read fills dst with the bytes at off; the file holds its final bytes
// from off to end.
func (rw *readWindows) read(dst []byte, off int64, end int64) error {
	if len(dst) > readWindow {
		_, err := rw.f.ReadAt(dst, off)
		return err
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.readLocked(dst, off, end)
}

// readTwo is read of a at aoff, then of b at boff, under one lock: an
// object's id and its bytes, which CollectionObjects reads for every
// object of a snapshot.
func (rw *readWindows) readTwo(a []byte, aoff int64, b []byte, boff int64, end int64) error {
	if len(a) > readWindow || len(b) > readWindow {
		if err := rw.read(a, aoff, end); err != nil {
			return err
		}
		return rw.read(b, boff, end)
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if err := rw.readLocked(a, aoff, end); err != nil {
		return err
	}
	return rw.readLocked(b, boff, end)
}

// readLocked is read of at most readWindow bytes, under rw.mu.
func (rw *readWindows) readLocked(dst []byte, off int64, end int64) error {
	n := len(dst)
	rw.tick++
	lru := &rw.w[0]
	for i := range rw.w {
		w := &rw.w[i]
		if off >= w.off && off+int64(n) <= w.off+int64(len(w.b)) {
			w.used = rw.tick
			copy(dst, w.b[off-w.off:])
			return nil
		}
		if w.used < lru.used {
			lru = w
		}
	}
	if lru.b == nil {
		lru.b = make([]byte, readWindow)
	}
	k, err := rw.f.ReadAt(lru.b[:min(readWindow, max(end-off, int64(n)))], off)
	if k < n {
		lru.b, lru.used = lru.b[:0], 0
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	lru.off, lru.b, lru.used = off, lru.b[:k], rw.tick
	copy(dst, lru.b)
	return nil
}
