package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Local is a snapshot of the local database, as push reads it.
type Local struct {
	ID          string
	Workspace   string
	StartedAt   time.Time
	Collections []string
	Record      []byte // the local record (JSON), kept opaque
	Ref         any    // the Source's own handle
}

// Source is the local database as push reads it.
type Source interface {
	// Snapshots lists the local snapshots to push, oldest first.
	Snapshots() ([]Local, error)
	// Walk calls fn for each object of a collection, in key order, with
	// its content hash (the data blob's id).
	Walk(s Local, collection string, fn func(key string, id ID) error) error
	// Read returns the raw JSON of one object, whose hash (id) Walk or
	// Diff gave.
	Read(s Local, collection, key string, id ID) ([]byte, error)
	// Diff calls fn, in key order, for each key of a collection that
	// differs between base and s: added (old is zero), removed (new is
	// zero) or changed. An absent collection counts as empty.
	Diff(base, s Local, collection string, fn func(key string, old, new ID) error) error
}

// PushReport is what a push did.
type PushReport struct {
	Pushed    []string `json:"pushed"`  // local snapshot ids now on the target
	Already   int      `json:"already"` // local snapshots that were there before
	Packs     int      `json:"packs"`
	Blobs     int      `json:"blobs"`       // objects uploaded
	Chunks    int      `json:"tree_chunks"` // tree chunks uploaded
	Uploaded  int64    `json:"uploaded_bytes"`
	Pending   int      `json:"pending"` // local snapshots still not on the target
	Snapshots int      `json:"target_snapshots"`
	// Refreshed counts records written again because the local record
	// changed after its push (retention protected the snapshot).
	Refreshed int `json:"refreshed"`
	// Repaired lists the local snapshot ids of Pushed that were on the
	// target but missed objects or tree chunks (lost or damaged packs):
	// pushed again, their old records deleted.
	Repaired []string `json:"repaired"`
}

// indexEvery is how many packs a push uploads before it writes an index
// file for them: what an interrupted push leaves indexed is reused.
const indexEvery = 8

// Push uploads every local snapshot that is not yet on the target under
// this daemon's name: first the blobs and tree chunks the target lacks,
// in packs, then index files for the packs, then each snapshot's record,
// last. It holds a shared lock.
func (r *Repo) Push(ctx context.Context, src Source) (rep PushReport, err error) {
	rep.Pushed, rep.Repaired = []string{}, []string{}
	start := r.Uploaded()
	defer func() { rep.Uploaded = r.Uploaded() - start }()
	lock, ctx, err := r.acquire(ctx, "push", false)
	if err != nil {
		return rep, err
	}
	defer lock.release()
	defer func() { err = lockLost(ctx, err) }()
	locals, err := src.Snapshots()
	if err != nil {
		return rep, fmt.Errorf("list local snapshots: %w", err)
	}
	// A record that cannot be read is skipped: if it was one of this
	// daemon's, its snapshot is pushed again (prune and verify name it).
	remote, bad, err := r.readSnapshots(ctx)
	if err != nil {
		return rep, err
	}
	for _, b := range bad {
		r.opts.Logger.Warn("offsite: a snapshot record cannot be read; run offsite verify", "object", b.Object, "err", b.Message)
	}
	// A local snapshot may have several records: a refresh or a repair
	// killed between writing the new record and deleting the old leaves
	// both. Newest first (readRecords' order).
	have := map[string][]*Snapshot{}
	for _, s := range remote {
		if s.Name == r.opts.Name {
			k := s.Workspace + "\x00" + s.LocalID
			have[k] = append(have[k], s)
		}
	}
	// Packs a verify of this machine found damaged are looked at again
	// (and deleted when they are), then the index is loaded without the
	// packs data/ does not list: nothing dedupes against them.
	recorded := len(r.damaged()) > 0
	defer func() {
		if err == nil && recorded {
			r.dropRecordedSnapshots()
		}
	}()
	if err := r.confirmDamage(ctx); err != nil {
		return rep, err
	}
	idx, err := r.loadIndex(ctx, false)
	if err != nil {
		return rep, err
	}
	// Repair (doc.go, # Repair): when packs are missing or damage was
	// recorded, this daemon's snapshots on the target are checked, and
	// those that miss something are pushed again as full trees.
	broken := map[*Snapshot]bool{}
	checked := len(idx.gone) > 0 || recorded
	if checked && !recorded && r.repairedAll(idx.gone) {
		checked = false // an earlier push checked against these packs
	}
	defer func() {
		if err == nil && checked {
			r.noteRepaired(idx.gone)
		}
	}()
	if checked {
		c := newChecker(ctx, r, idx)
		present := map[string]bool{}
		for _, l := range locals {
			present[l.Workspace+"\x00"+l.ID] = true
		}
		for _, s := range remote {
			if s.Name != r.opts.Name {
				continue
			}
			res, err := c.snapshot(s)
			if err != nil {
				return rep, fmt.Errorf("check snapshot %s of %s: %w", s.LocalID, s.Workspace, err)
			}
			if res.ok {
				continue
			}
			if !present[s.Workspace+"\x00"+s.LocalID] {
				r.opts.Logger.Warn("offsite: a snapshot on the target misses objects or tree chunks, and the local database no longer holds it", "snapshot", s.LocalID, "workspace", s.Workspace, "packs", packNames(res.packs))
				continue
			}
			r.opts.Logger.Warn("offsite: a snapshot on the target misses objects or tree chunks; pushing it again", "snapshot", s.LocalID, "workspace", s.Workspace, "packs", packNames(res.packs))
			broken[s] = true
		}
	}
	idx.trees = nil // resolve's and the check's tree chunks: push reads no more tree
	var todo []Local
	repair := map[int][]*Snapshot{} // place in todo -> the records it replaces
	deleted := 0                    // broken records deleted beside a complete one
	for _, l := range locals {
		var old *Snapshot
		var bad []*Snapshot
		for _, s := range have[l.Workspace+"\x00"+l.ID] {
			switch {
			case broken[s]:
				bad = append(bad, s)
			case old == nil:
				old = s // the newest complete record
			}
		}
		if old != nil {
			// A complete record is there: the broken ones (left by a
			// repair killed before it deleted them) just go.
			for _, s := range bad {
				r.opts.Logger.Warn("offsite: deleting a broken record of a snapshot the target also holds complete", "snapshot", s.LocalID, "workspace", s.Workspace, "object", "snapshots/"+s.Object.String())
				if err := r.b.Delete(ctx, "snapshots/"+s.Object.String()); err != nil && !isNotExist(err) {
					return rep, fmt.Errorf("delete a broken record of %s: %w", s.LocalID, err)
				}
				deleted++
			}
		}
		switch {
		case old == nil && len(bad) == 0:
			todo = append(todo, l)
		case old == nil:
			repair[len(todo)] = bad
			todo = append(todo, l)
		case !bytes.Equal(old.Record, l.Record):
			if err := r.refreshRecord(ctx, old, l.Record); err != nil {
				return rep, err
			}
			rep.Refreshed++
			rep.Already++
		default:
			rep.Already++
		}
	}
	rep.Pending = len(todo)
	if len(todo) == 0 {
		rep.Snapshots = len(remote) - deleted
		return rep, nil
	}
	p := newPusher(r, ctx, idx, src, &rep)
	p.lock = lock
	defer p.inflight.Wait() // before the lock goes
	var complete []*Snapshot
	for _, s := range remote {
		if !broken[s] {
			complete = append(complete, s)
		}
	}
	bases := latestPushed(complete, r.opts.Name, locals)
	for i, l := range todo {
		var baseLocal *Local
		base := bases[l.Workspace]
		if base != nil {
			baseLocal = base.local
		}
		olds := repair[i]
		if olds != nil {
			base, baseLocal = nil, nil // a full tree: uploads all it misses
		}
		s, err := p.snapshot(l, base.snap(), baseLocal)
		if err != nil {
			return rep, fmt.Errorf("push snapshot %s of %s: %w", l.ID, l.Workspace, err)
		}
		for _, old := range olds {
			if err := r.b.Delete(ctx, "snapshots/"+old.Object.String()); err != nil && !isNotExist(err) {
				return rep, fmt.Errorf("delete the old record of %s, pushed again: %w", old.LocalID, err)
			}
			deleted++
		}
		if olds != nil {
			rep.Repaired = append(rep.Repaired, l.ID)
		}
		bases[l.Workspace] = &pushedBase{s: s, local: &l}
		rep.Pushed = append(rep.Pushed, l.ID)
		rep.Pending--
	}
	rep.Snapshots = len(remote) - deleted + len(rep.Pushed)
	return rep, nil
}

// pushedBase is a snapshot of this daemon on the target and the local
// snapshot it came from: what the next push of its workspace is a delta
// against.
type pushedBase struct {
	s     *Snapshot
	local *Local
}

func (b *pushedBase) snap() *Snapshot {
	if b == nil {
		return nil
	}
	return b.s
}

// latestPushed returns, per workspace, this daemon's latest snapshot on
// the target whose local snapshot the database still holds.
func latestPushed(remote []*Snapshot, name string, locals []Local) map[string]*pushedBase {
	byID := map[string]*Local{}
	for i := range locals {
		byID[locals[i].Workspace+"\x00"+locals[i].ID] = &locals[i]
	}
	out := map[string]*pushedBase{}
	for _, s := range remote { // oldest first; records of one snapshot newest first
		if cur := out[s.Workspace]; cur != nil && cur.s.LocalID == s.LocalID {
			continue // an older record of the same snapshot
		}
		if l := byID[s.Workspace+"\x00"+s.LocalID]; l != nil && s.Name == name {
			out[s.Workspace] = &pushedBase{s: s, local: l}
		}
	}
	return out
}

// refreshRecord replaces a pushed record whose local record changed since
// (protection added by a later backup): the trees are the same, so only a
// record is written, then the old one is deleted. Until then both exist,
// and readers take either.
func (r *Repo) refreshRecord(ctx context.Context, old *Snapshot, record []byte) error {
	s := *old
	s.Record = record
	s.PushedAt = r.opts.Now().UTC()
	if _, err := r.writeSnapshot(ctx, &s); err != nil {
		return fmt.Errorf("rewrite snapshot record %s: %w", old.LocalID, err)
	}
	if err := r.b.Delete(ctx, "snapshots/"+old.Object.String()); err != nil {
		return fmt.Errorf("delete the old record of %s: %w", old.LocalID, err)
	}
	return nil
}

// pusher is one push's state: the target's index, what this push queued,
// the open packs.
type pusher struct {
	r    *Repo
	ctx  context.Context
	lock *heldLock // checked before an index or record is written
	idx  *index
	src  Source
	rep  *PushReport
	// queued is what this push queued (in an open pack or an unindexed
	// uploaded one), by name or ref, with the data blobs' ids.
	queued map[Ref]ID
	// known is, for each pack this push looked into, the full ids of its
	// data blobs by offset: those it uploaded, hashed, or the local cache
	// records (ids/<pack>).
	known map[ID]map[uint32]ID
	// hashed are the packs this push read to confirm names (whether or
	// not that went well): each is read once.
	hashed map[ID]bool
	// named is, for each data blob queued, the first complete tree chunk
	// of this push that names it: its index entry takes its ref from
	// there when the chunk is indexed by then (format 3).
	named map[Ref]ChunkPos
	// ownTrees are the tree chunks this push uploaded and indexed: the
	// only chunks its index entries take refs from (a chunk of an index
	// file it loaded may be a concurrent prune's to delete).
	ownTrees map[Ref]bool
	data     packBuilder
	trees    packBuilder

	// Packs upload uploadConcurrency at a time while the walk goes on;
	// index waits for them all.
	inflight   sync.WaitGroup
	slots      chan struct{}
	sinceIndex int         // packs handed to uploads since the last index
	mu         sync.Mutex  // guards done, upErr and rep.Packs
	done       []IndexPack // uploaded, not yet indexed
	upErr      error
}

// uploadConcurrency is how many packs a push uploads at once.
const uploadConcurrency = 4

func newPusher(r *Repo, ctx context.Context, idx *index, src Source, rep *PushReport) *pusher {
	return &pusher{r: r, ctx: ctx, idx: idx, src: src, rep: rep, queued: map[Ref]ID{}, known: map[ID]map[uint32]ID{}, hashed: map[ID]bool{}, named: map[Ref]ChunkPos{}, ownTrees: map[Ref]bool{}, slots: make(chan struct{}, uploadConcurrency)}
}

// wait waits for the uploads in flight and returns the first that failed.
func (p *pusher) wait() error {
	p.inflight.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.upErr
}

// has reports whether the target holds the blob of ref, or this push
// queued it.
func (p *pusher) has(ref Ref) bool {
	if _, ok := p.queued[ref]; ok {
		return true
	}
	_, in := p.idx.lookup(ref)
	return in
}

func (p *pusher) add(t BlobType, ref Ref, id ID, b []byte) error {
	if q, ok := p.queued[ref]; ok && (t == TreeBlob || ref.long() || q == id) {
		return nil // queued (another blob under a short name is prune's copy of a damaged name: kept)
	}
	if _, ok := p.idx.lookup(ref); ok {
		return nil
	}
	p.queued[ref] = id
	pb := &p.data
	if t == TreeBlob {
		pb = &p.trees
		p.rep.Chunks++
	} else {
		p.rep.Blobs++
	}
	pb.addID(t, ref, id, b)
	if pb.buf.Len() >= p.r.opts.PackSize {
		return p.flush(pb)
	}
	return nil
}

// flush uploads an open pack, and writes an index file every indexEvery
// packs.
func (p *pusher) flush(pb *packBuilder) error {
	if len(pb.blobs) == 0 {
		return nil
	}
	if err := p.upload(pb); err != nil {
		return err
	}
	if p.sinceIndex++; p.sinceIndex >= indexEvery {
		return p.index()
	}
	return nil
}

// upload uploads an open pack in the background.
func (p *pusher) upload(pb *packBuilder) error {
	p.mu.Lock()
	err := p.upErr
	p.mu.Unlock()
	if err != nil {
		return err
	}
	sealed, err := p.r.key.seal(kindPack, compress(pb.buf.Bytes()))
	if err != nil {
		return err
	}
	id, blobs, ids := hashOf(sealed), pb.blobs, pb.ids
	*pb = packBuilder{}
	select {
	case p.slots <- struct{}{}:
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
	p.inflight.Add(1)
	go func() {
		defer func() { <-p.slots; p.inflight.Done() }()
		err := p.r.put(p.ctx, "data/"+id.String(), sealed)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			if p.upErr == nil {
				p.upErr = fmt.Errorf("upload pack: %w", err)
			}
			return
		}
		p.rep.Packs++
		p.done = append(p.done, IndexPack{Pack: id, Blobs: blobs, ids: ids})
	}()
	return nil
}

// nameBlobs notes that chunk, complete, has entries es (a leaf's
// entries or a delta's changes, in order): each data blob this push
// queued and no earlier chunk named may take its ref from it.
func (p *pusher) nameBlobs(chunk Ref, es []chunkEntry) {
	for i, e := range es {
		if _, ok := p.queued[e.ref]; !e.blob || !ok {
			continue
		}
		if _, ok := p.named[e.ref]; !ok {
			p.named[e.ref] = ChunkPos{Chunk: chunk, Entry: uint32(i), OK: true}
		}
	}
}

// byChunk gives the data blobs of p.done their refs by chunk where the
// chunk that named them is one this push uploaded, in a tree pack of
// p.done or of an index file it wrote before.
func (p *pusher) byChunk() {
	for _, ip := range p.done {
		for _, b := range ip.Blobs {
			if b.Type == TreeBlob {
				p.ownTrees[b.Ref] = true
			}
		}
	}
	for k := range p.done {
		ip := &p.done[k]
		for i, b := range ip.Blobs {
			pos, ok := p.named[b.Ref]
			if b.Type != DataBlob || !ok || !p.ownTrees[pos.Chunk] {
				continue
			}
			if ip.From == nil {
				ip.From = make([]ChunkPos, len(ip.Blobs))
			}
			ip.From[i] = pos
		}
	}
}

// index writes an index file for the uploaded packs. The open tree pack
// is uploaded with them when it holds a chunk that names one of their
// objects, so that their entries can take refs from it.
func (p *pusher) index() error {
	p.sinceIndex = 0
	if len(p.named) > 0 && len(p.trees.blobs) > 0 {
		if err := p.upload(&p.trees); err != nil {
			return err
		}
	}
	if err := p.wait(); err != nil {
		return err
	}
	if len(p.done) == 0 {
		return nil
	}
	p.byChunk()
	if err := p.lock.check(p.ctx); err != nil {
		return err
	}
	id, err := p.r.writeIndex(p.ctx, p.done)
	if err != nil {
		return fmt.Errorf("upload index: %w", err)
	}
	p.r.saveResolved(id, p.done)
	p.idx.add(id, p.done)
	for _, ip := range p.done {
		for _, b := range ip.Blobs {
			delete(p.queued, b.Ref)
			delete(p.named, b.Ref)
		}
		p.knowIDs(ip)
	}
	p.done = nil
	return nil
}

// knowIDs notes, and caches, the ids of the data blobs of a pack this
// process wrote.
func (p *pusher) knowIDs(ip IndexPack) {
	ids := map[uint32]ID{}
	for i, b := range ip.Blobs {
		if b.Type == DataBlob && i < len(ip.ids) && ip.ids[i] != (ID{}) {
			ids[b.Offset] = ip.ids[i]
		}
	}
	if len(ids) > 0 {
		p.known[ip.Pack] = ids
		p.r.saveIDs(ip.Pack, ids)
	}
}

// snapshot pushes l: each collection as a delta against base (a snapshot
// of this daemon on the target whose local snapshot baseLocal the
// database still holds) when that is small, else as a full tree.
func (p *pusher) snapshot(l Local, base *Snapshot, baseLocal *Local) (*Snapshot, error) {
	s := &Snapshot{Name: p.r.opts.Name, Host: p.r.host, Workspace: l.Workspace, LocalID: l.ID, StartedAt: l.StartedAt.UTC(),
		Collections: map[string]Tree{}, Record: l.Record}
	for _, c := range l.Collections {
		t, ok, err := p.delta(l, c, base, baseLocal)
		if err == nil && !ok {
			t, err = p.collection(l, c)
		}
		if err != nil {
			return nil, fmt.Errorf("collection %s: %w", c, err)
		}
		s.Collections[c] = t
	}
	if err := p.flush(&p.data); err != nil {
		return nil, err
	}
	if err := p.flush(&p.trees); err != nil {
		return nil, err
	}
	if err := p.index(); err != nil {
		return nil, err
	}
	s.PushedAt = p.r.opts.Now().UTC()
	if err := p.lock.check(p.ctx); err != nil {
		return nil, err
	}
	id, err := p.r.writeSnapshot(p.ctx, s)
	if err != nil {
		return nil, fmt.Errorf("upload snapshot record: %w", err)
	}
	if err := p.fence(id); err != nil {
		return nil, err
	}
	s.Object = id
	return s, nil
}

// fence runs after a snapshot record is written: every index file this
// push loaded or wrote must still be there. A prune replaces every index
// file it read before it deletes a pack, so one that is gone means a
// prune ran during this push (its lock notwithstanding) and may delete
// packs the record names: the record is deleted again and the push fails.
// The prune, for its part, lists the records after deleting the index
// files and undoes itself when one appeared (doc.go, # Locks).
func (p *pusher) fence(record ID) error {
	_, ids, err := p.r.listIDs(p.ctx, "index/")
	if err == nil {
		listed := make(map[ID]bool, len(ids))
		for _, id := range ids {
			listed[id] = true
		}
		for f := range p.idx.files {
			if !listed[f] {
				err = fmt.Errorf("%w: a prune ran during this push and replaced index/%s, so it may delete packs this snapshot uses; nothing was published: run the push again",
					ErrLockLost, f.Short())
				break
			}
		}
		if err == nil {
			return nil
		}
	} else {
		err = fmt.Errorf("check that no prune ran during this push: %w; nothing was published: run it again", err)
	}
	if derr := p.r.b.Delete(context.WithoutCancel(p.ctx), "snapshots/"+record.String()); derr != nil {
		return fmt.Errorf("%w; its snapshot record snapshots/%s could not be removed (%v): run `enspace-sync offsite verify`, then push again", err, record.Short(), derr)
	}
	return err
}

// Deltas: a collection is pushed as the changes since the base's tree
// when they are at most 1/deltaShare of its entries (or deltaMin) and the
// base is fewer than maxDeltas deltas from a full tree; otherwise as a
// full tree. At 1% churn a delta costs each changed object's key and ref
// (some 20 bytes) where a full tree rewrites nearly every leaf and node
// above them (BenchmarkOffsite: 0.49 MB of trees against 0.02 MB).
const (
	deltaShare = 4
	deltaMin   = 256
	maxDeltas  = 16
)

// maxDeltaBytes bounds a delta chunk's encoded size, well under the
// maxBlob readers accept: a delta's entries are a quarter of the
// collection's at most, which at millions of entries with long keys
// would pass it and leave a record no one could restore. A delta that
// would be larger is a full tree instead. A variable for tests.
var maxDeltaBytes = 16 << 20

var errDeltaTooLarge = errors.New("delta too large")

// delta pushes collection c of l as a delta against base's tree; ok is
// false when it should be a full tree.
func (p *pusher) delta(l Local, c string, base *Snapshot, baseLocal *Local) (Tree, bool, error) {
	if base == nil || baseLocal == nil {
		return Tree{}, false, nil
	}
	bt, ok := base.Collections[c]
	if !ok || bt.Depth >= maxDeltas {
		return Tree{}, false, nil
	}
	if _, ok := p.idx.lookup(bt.Root.Ref()); !ok && !p.has(bt.Root.Ref()) {
		return Tree{}, false, nil // its root is in no index: do not build on it
	}
	limit := max(bt.Count/deltaShare, deltaMin)
	var changes []Change
	count := bt.Count
	size := 1 + len(Ref{}) + binary.MaxVarintLen64 // format, base, count
	err := p.src.Diff(*baseLocal, l, c, func(key string, old, new ID) error {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		// An entry's encoded size at most: its key whole, two varints,
		// a flag and a ref.
		size += len(key) + 2*binary.MaxVarintLen64 + 1 + len(Ref{})
		if len(changes) >= limit || size > maxDeltaBytes {
			return errDeltaTooLarge
		}
		switch {
		case new == ID{}:
			count--
			changes = append(changes, Change{Key: key, Removed: true})
			return nil
		case old == ID{}:
			count++
		}
		name, err := p.object(l, c, key, new)
		if err != nil {
			return err
		}
		changes = append(changes, Change{Key: key, Ref: name})
		return nil
	})
	if errors.Is(err, errDeltaTooLarge) {
		return Tree{}, false, nil
	}
	if err != nil {
		return Tree{}, false, err
	}
	if len(changes) == 0 {
		return bt, true, nil
	}
	b := encodeDelta(Delta{Base: bt.Root.Ref(), Changes: changes})
	id := hashOf(b)
	es := make([]chunkEntry, len(changes))
	for i, c := range changes {
		es[i] = chunkEntry{ref: c.Ref, blob: !c.Removed}
	}
	p.nameBlobs(id.Ref(), es)
	if err := p.add(TreeBlob, id.Ref(), id, b); err != nil {
		return Tree{}, false, err
	}
	return Tree{Root: id, Count: count, Depth: bt.Depth + 1}, true, nil
}

// object uploads the object of key unless the target has it, and
// returns the name trees give it.
func (p *pusher) object(l Local, c, key string, id ID) (Ref, error) {
	name, have, err := p.nameFor(id)
	if err != nil || have {
		return name, err
	}
	raw, err := p.src.Read(l, c, key, id)
	if err != nil {
		return Ref{}, err
	}
	if err := p.checkID(c, key, id, raw); err != nil {
		return Ref{}, err
	}
	return name, p.add(DataBlob, name, id, raw)
}

// nameFor returns the name of the data blob of id, and whether the target
// (or this push) holds it under that name. A long name (the id's 16-byte
// ref) is trusted as format 3 trusted every ref; a short name only when
// the blob under it is confirmed to be this content (confirm). A short
// name that holds another blob (a collision) leaves the long name to this
// one; so does an all-zero short name (the zero Ref means "none").
func (p *pusher) nameFor(id ID) (Ref, bool, error) {
	long := id.Ref()
	// A ref whose bytes past maxNameLen are zero is written, and read
	// back, as a short name: it is trusted only as one (confirmed).
	if long.long() && p.has(long) {
		return long, true, nil
	}
	s := shortName(id)
	if s == (Ref{}) {
		return long, false, nil
	}
	// taken: s names another blob; the long name is left, unless it
	// cannot be told from a short one.
	taken := func() (Ref, bool, error) {
		if !long.long() {
			return Ref{}, false, fmt.Errorf("offsite: object %s: its name %x holds another object, and its id cannot be written as a long name", id.Short(), s[:nameLen])
		}
		return long, false, nil
	}
	if q, ok := p.queued[s]; ok {
		if q == id {
			return s, true, nil
		}
		return taken() // another blob this push queued under s
	}
	loc, ok := p.idx.lookup(s)
	if !ok {
		if _, lost := p.idx.lost[s]; lost || len(p.idx.gone) > 0 {
			// A pack is missing or damaged: the trees that named its
			// blobs still name them, and another blob under one of
			// those names would be restored in its place (the names of
			// its blobs given by chunk are not even known: exclude
			// drops them unresolved). No new short name until it is
			// repaired and pruned.
			return taken()
		}
		return s, false, nil
	}
	if got, ok := p.confirm(loc); ok && got == id {
		return s, true, nil
	}
	// Another blob under s, or one that could not be confirmed: this
	// one is uploaded under its long name.
	return taken()
}

// confirm returns the full id of the data blob at loc, if known: this
// push uploaded it, the local cache records it, or its pack is
// downloaded and its data blobs hashed (Options.BlobID; the ids are then
// cached). A pack that cannot be read confirms nothing (the blob is then
// uploaded again under its long name).
func (p *pusher) confirm(loc blobLoc) (ID, bool) {
	ids, ok := p.known[loc.pack]
	if !ok {
		ids = p.r.loadIDs(loc.pack)
		p.known[loc.pack] = ids
	}
	if id, ok := ids[loc.Offset]; ok {
		return id, true
	}
	if p.r.opts.BlobID == nil || p.hashed[loc.pack] {
		return ID{}, false
	}
	p.hashed[loc.pack] = true
	pc, err := p.r.readPack(p.ctx, loc.pack)
	if err != nil {
		p.r.opts.Logger.Warn("offsite: a pack cannot be read to confirm what it holds; its objects are uploaded again", "object", "data/"+loc.pack.String(), "err", err)
		return ID{}, false
	}
	if ids == nil {
		ids = map[uint32]ID{}
	}
	for _, b := range p.idx.packs[loc.pack] {
		if b.Type != DataBlob || b.Ref == (Ref{}) {
			continue
		}
		if _, id, err := pc.blob(b, p.r.opts.BlobID); err == nil {
			ids[b.Offset] = id
		}
	}
	p.known[loc.pack] = ids
	p.r.saveIDs(loc.pack, ids)
	id, ok := ids[loc.Offset]
	return id, ok
}

// checkID refuses local bytes that do not hash to their id: uploaded,
// they would sit under the id for good (has() never uploads it again).
func (p *pusher) checkID(c, key string, id ID, raw []byte) error {
	if p.r.opts.BlobID == nil {
		return nil
	}
	got, err := p.r.opts.BlobID(raw)
	if err == nil && got == id {
		return nil
	}
	return fmt.Errorf("%w: %s %q (id %s); nothing of it was uploaded; `enspace-sync verify --repair` fixes the local copy",
		ErrLocalCorrupt, c, key, id.Short())
}

// Tree shape: a leaf ends after an entry whose key hashes to a value with
// its low 3 bits zero (about 8 entries), or at 32; a node ends after a
// child whose id has its low 4 bits zero (about 16 children), or at 64.
// Boundaries depend on content only, so an unchanged stretch of a
// collection gives the same chunks in every snapshot. Small leaves keep
// what a changed object costs small (its leaf, about 8 x 20 bytes, and a
// ref in each level above); at 1% churn nearly every level-1 node changes,
// whose bytes are 16 per leaf: 8 entries a leaf balances the two
// (BenchmarkOffsite: 16 entries uploaded 1.53x, 8 entries see doc.go).
const (
	leafMask  = 0x07
	leafMax   = 32
	chunkMask = 0x0f
	chunkMax  = 64
)

func keyBoundary(key string) bool {
	h := sha256.Sum256([]byte(key))
	return h[0]&leafMask == 0
}

func (p *pusher) collection(l Local, c string) (Tree, error) {
	var leaves []ID
	var leaf []Entry
	count := 0
	emit := func() error {
		b := encodeLeaf(leaf)
		id := hashOf(b)
		if len(p.queued) > 0 {
			es := make([]chunkEntry, len(leaf))
			for i, e := range leaf {
				es[i] = chunkEntry{ref: e.Ref, blob: true}
			}
			p.nameBlobs(id.Ref(), es)
		}
		leaves = append(leaves, id)
		leaf = leaf[:0]
		return p.add(TreeBlob, id.Ref(), id, b)
	}
	// Children are named by ref in a node; ids is the level's full ids.
	err := p.src.Walk(l, c, func(key string, id ID) error {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		count++
		name, err := p.object(l, c, key, id)
		if err != nil {
			return err
		}
		leaf = append(leaf, Entry{Key: key, Ref: name})
		if len(leaf) >= leafMax || keyBoundary(key) {
			return emit()
		}
		return nil
	})
	if err != nil {
		return Tree{}, err
	}
	if len(leaf) > 0 || len(leaves) == 0 {
		if err := emit(); err != nil {
			return Tree{}, err
		}
	}
	ids := leaves
	for len(ids) > 1 {
		var next []ID
		var node []Ref
		for _, id := range ids {
			node = append(node, id.Ref())
			if len(node) >= chunkMax || (id[len(id)-1]&chunkMask == 0 && len(node) > 1) {
				b := encodeNode(node)
				nid := hashOf(b)
				next = append(next, nid)
				if err := p.add(TreeBlob, nid.Ref(), nid, b); err != nil {
					return Tree{}, err
				}
				node = node[:0]
			}
		}
		if len(node) > 0 {
			b := encodeNode(node)
			nid := hashOf(b)
			next = append(next, nid)
			if err := p.add(TreeBlob, nid.Ref(), nid, b); err != nil {
				return Tree{}, err
			}
		}
		ids = next
	}
	return Tree{Root: ids[0], Count: count}, nil
}
