package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// commitBudget is how many pending entries one tree-building transaction
// turns into chunks.
const commitBudget = 200_000

// CommitInfo is what the caller knows at the end of a run.
type CommitInfo struct {
	FinishedAt time.Time
	Requests   int64          // API requests the run made
	Config     map[string]any // the configuration that produced the run, already redacted
	Drift      []string       // notes on data that changed while it was read
	Counts     map[string]int // optional: kind -> count the API reported, kept for cross-checks
	// Walked lists the kinds the run read, so that a kind read with no
	// objects is counted as 0 rather than left out.
	Walked []string
	// Annotate, when set, is called once the run's trees are built and
	// before the snapshot becomes visible, with the snapshot as it will be
	// committed (its trees can be read and compared, as a committed
	// snapshot's). What it returns is written in the commit's own
	// transaction: a crash leaves either no snapshot or one with its
	// changes, anomalies and the protection they call for. An error of
	// Annotate is logged and the snapshot is committed without them.
	Annotate func(s *Snapshot) (*Annotation, error)
}

// Annotation is what a run's caller found by comparing the new snapshot
// with earlier ones: recorded with the snapshot in one transaction.
type Annotation struct {
	Changes   *Changes
	Anomalies []string
	// Protect names snapshots (by id) that retention must keep, with the
	// reason: the snapshot before a drop.
	Protect map[string]string
}

// Commit ends the run with a snapshot: it writes the buffered objects,
// builds each collection's tree from the pending entries (in several
// transactions), then writes the snapshot record, marks the run complete or
// partial and deletes the pending entries, in one last transaction. If
// Commit fails the run is recorded as failed and nothing becomes visible.
func (w *Writer) Commit(info CommitInfo) (*Snapshot, error) {
	if err := w.finish(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	snap, err := w.commit(info)
	w.releaseChunks()
	if err != nil {
		if ferr := w.db.endRun(w.id, OutcomeFailed, EndFailed, err.Error()); ferr != nil {
			w.db.log.Error("record failed run", "run", w.id, "err", ferr)
		}
		return nil, fmt.Errorf("commit snapshot %s: %w", w.id, err)
	}
	return snap, nil
}

func (w *Writer) commit(info CommitInfo) (*Snapshot, error) {
	w.db.gc.RLock()
	defer w.db.gc.RUnlock()
	if w.err != nil {
		return nil, w.err
	}
	if err := w.flushLocked(); err != nil {
		return nil, err
	}
	if n, err := w.db.mergeSmallPacks(w.stored.list()); err != nil {
		w.db.log.Warn("the run's small packs stay apart", "run", w.id, "err", err)
	} else {
		w.added += n
	}
	prev, live, err := w.db.latestCollections(w.workspace)
	if err != nil {
		return nil, err
	}
	tb := &treeBuild{run: []byte(w.id), result: map[string]Collection{}, prev: prev, live: live, maxPatch: w.db.maxPatch, wholeBasePatch: w.db.wholeBasePatch, log: w.db.log}
	step := func(tx *bbolt.Tx) error { return tb.step(tx, commitBudget) }
	if w.base != nil {
		bb, err := w.newBaseBuild(tb)
		if err != nil {
			return nil, err
		}
		step = func(tx *bbolt.Tx) error { return bb.step(tx, commitBudget) }
	}
	for !tb.done {
		if err := w.db.update(step); err != nil {
			return nil, fmt.Errorf("build trees: %w", err)
		}
	}
	filed, err := tb.store.file(w.db)
	tb.added += filed
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{
		ID: w.id, Workspace: w.workspace,
		StartedAt: w.startedAt, FinishedAt: info.FinishedAt.UTC(),
		Status: StatusComplete, Counts: map[string]int{}, Collections: tb.result,
		Requests: info.Requests, Config: info.Config, Drift: info.Drift, APICounts: maps.Clone(info.Counts),
		Healed: slices.Clone(w.healed),
	}
	slices.SortFunc(snap.Healed, func(a, b Healed) int {
		if c := strings.Compare(a.Collection, b.Collection); c != 0 {
			return c
		}
		return compareKeys(sortKey(a.Key), sortKey(b.Key))
	})
	if len(w.failed) > 0 {
		snap.Status = StatusPartial
		snap.Errors = maps.Clone(w.failed)
	}
	for _, kind := range info.Walked {
		snap.Counts[kind] += 0
	}
	for name, c := range tb.result {
		snap.Counts[KindOf(name)] += c.Count
		snap.Objects += c.Count
	}
	var note *Annotation
	if info.Annotate != nil {
		var err error
		if note, err = info.Annotate(snap); err != nil {
			w.db.log.Error("the snapshot is committed without its summary of changes", "run", w.id, "err", err)
			note = nil
		}
	}
	if note != nil {
		snap.Changes, snap.Anomalies = note.Changes, note.Anomalies
	}
	err = w.db.update(func(tx *bbolt.Tx) error {
		pb := tx.Bucket(bucketPending)
		if pb.Bucket(tb.run) == nil {
			return fmt.Errorf("run %s is no longer pending", w.id)
		}
		if err := pb.DeleteBucket(tb.run); err != nil {
			return fmt.Errorf("delete pending data: %w", err)
		}
		r, err := getRun(tx, w.id)
		if err != nil {
			return err
		}
		r.FinishedAt, r.Objects, r.Outcome = snap.FinishedAt, snap.Objects, Outcome(snap.Status)
		runLen, err := putRun(tx, r)
		if err != nil {
			return err
		}
		if note != nil {
			for id, reason := range note.Protect {
				if err := protectTx(tx, id, reason); err != nil {
					return err
				}
			}
		}
		rec, err := encodeRecord(snap, w.added+tb.added+runLen)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSnapshots).Put([]byte(w.id), rec)
	})
	if err != nil {
		return nil, fmt.Errorf("write snapshot record: %w", err)
	}
	return snap, nil
}

// encodeRecord sets snap.AddedBytes to added plus the size of the record
// itself (key and value) and returns the record. The size depends on the
// number written in it, so it is found by iteration: it only grows from one
// round to the next, by a digit at most, so it settles within a few.
func encodeRecord(snap *Snapshot, added int64) ([]byte, error) {
	size := int64(0)
	for {
		snap.AddedBytes = added + size
		rec, err := json.Marshal(snap)
		if err != nil {
			return nil, fmt.Errorf("encode snapshot record: %w", err)
		}
		n := int64(len(snap.ID) + len(rec))
		if n <= size {
			return rec, nil
		}
		size = n
	}
}

// treeBuild turns a run's pending entries into trees, collection by
// collection, a budget of entries per transaction. Chunk boundaries depend
// on keys only, and a transaction always ends on a chunk boundary. A
// collection's index nodes and root are stored in the transaction that
// stores its last chunk. The entries come from a merge of the run's
// pending records (pending.go), copied out in the first transaction.
type treeBuild struct {
	run    []byte
	merge  *pendingMerge // nil before the first step
	coll   []byte        // collection in progress; nil before the first
	cur    []entry       // entries of the chunk in progress
	refs   []chunkRef    // chunks of coll so far
	count  int
	store  chunkStore // the chunks and index nodes stored, waiting for their index entries
	result map[string]Collection
	added  int64 // bytes of the chunks, index nodes, roots and index entries stored
	done   bool
	// prev holds the collections of the workspace's latest committed
	// snapshot: a collection is stored as a patch over the full tree
	// under its namesake's root when the patch is small (see # Trees).
	prev map[string]Collection
	// live holds the collection roots of the workspace's committed
	// snapshots: a patch's base must be one of them (see # Patches).
	live map[Hash]bool
	// maxPatch, when not 0, replaces maxPatchSize (tests).
	maxPatch int
	// wholeBasePatch: a based run uses patchFrom, never patchOver (tests).
	wholeBasePatch bool
	log            *slog.Logger
}

// patchBytes returns the most bytes (patchSize) a patch may take.
func (b *treeBuild) patchBytes() int {
	if b.maxPatch > 0 {
		return b.maxPatch
	}
	return maxPatchSize
}

// latestCollections returns the collections of the workspace's latest
// committed snapshot, none when it has none, and the collection roots of
// all its committed snapshots.
func (db *DB) latestCollections(workspace string) (map[string]Collection, map[Hash]bool, error) {
	if db.fullTrees {
		return nil, nil, nil
	}
	snaps, err := db.Snapshots(workspace)
	if err != nil || len(snaps) == 0 {
		return nil, nil, err
	}
	live := map[Hash]bool{}
	for _, s := range snaps {
		for _, c := range s.Collections {
			live[c.Root] = true
		}
	}
	return snaps[len(snaps)-1].Collections, live, nil
}

// tryPatch stores the collection coll, whose entries the merge yields
// next, as a patch over the full tree of prev's namesake when the patch
// is small enough, and reports whether it did; the merge then stands
// after the collection. Otherwise the merge has not moved.
func (b *treeBuild) tryPatch(tx *bbolt.Tx, coll []byte) (bool, int, error) {
	m := b.merge.clone()
	return b.patchFrom(tx, coll, m, &pendingIter{m: m, coll: coll})
}

// patchFrom computes the patch of the collection coll, whose entries cur
// yields (reading m), over prev's full tree, and stores it when it is
// small enough; then b.merge becomes m.
func (b *treeBuild) patchFrom(tx *bbolt.Tx, coll []byte, m *pendingMerge, cur entryIter) (bool, int, error) {
	c, ok := b.prev[string(coll)]
	if !ok {
		return false, 0, nil
	}
	// A damaged tree of the latest snapshot does not stop the run: it
	// builds a full tree, as before patches.
	damaged := func(err error) (bool, int, error) {
		if b.log != nil {
			b.log.Warn("the latest snapshot's tree of a collection is damaged: storing the collection as a full tree",
				"collection", string(coll), "err", err)
		}
		return false, 0, nil
	}
	ref, err := viewTx(tx, c.Root)
	if err != nil {
		return damaged(err)
	}
	// A patch's base must be the own root of a snapshot still here:
	// once the snapshot that stored the full tree is forgotten, the
	// collection is stored as a full tree again, so that prune can
	// remove what only the forgotten snapshots held (see # Patches).
	if !b.live[ref.base] {
		return false, 0, nil
	}
	refs, err := refsTx(tx, ref.base)
	if err != nil {
		return damaged(err)
	}
	refIt := &errIter{it: &sortedIter{it: &treeIterTx{chunks: tx.Bucket(bucketChunks), refs: refs}}}
	ps, count, ok, err := computePatch(cur, refIt, patchLimit(ref.baseCount()))
	if refIt.err != nil {
		return damaged(refIt.err)
	}
	if err != nil || !ok || count == 0 {
		return false, 0, err
	}
	// A patch that readers could not decode, or barely: a full tree.
	if patchSize(ps) > b.patchBytes() {
		return false, 0, nil
	}
	return b.keepPatch(tx, coll, ref.base, ps, count, m)
}

// keepPatch stores the collection's patch over base as its root.
func (b *treeBuild) keepPatch(tx *bbolt.Tx, coll []byte, base Hash, ps []patchEntry, count int, m *pendingMerge) (bool, int, error) {
	h, added, err := storePatch(tx, base, ps)
	if err != nil {
		return false, 0, err
	}
	b.added += added
	b.result[string(coll)] = Collection{Root: h, Count: count}
	b.merge = m
	return true, count, nil
}

// errIter keeps the error of the iterator it wraps.
type errIter struct {
	it  entryIter
	err error
}

func (e *errIter) next() (entry, bool, error) {
	en, ok, err := e.it.next()
	if err != nil {
		e.err = err
	}
	return en, ok, err
}

func (b *treeBuild) step(tx *bbolt.Tx, budget int) error {
	run := tx.Bucket(bucketPending).Bucket(b.run)
	if run == nil {
		return fmt.Errorf("run %s is no longer pending", b.run)
	}
	if b.merge == nil {
		var err error
		if b.merge, err = loadPending(run); err != nil {
			return err
		}
	}
	for used := 0; ; {
		coll, key, id, ok := b.merge.peek()
		if b.merge.err != nil {
			return b.merge.err
		}
		if b.coll != nil && (!ok || !bytes.Equal(coll, b.coll)) {
			if err := b.finish(tx); err != nil {
				return fmt.Errorf("collection %s: %w", b.coll, err)
			}
		}
		if !ok {
			b.done = true
			return nil
		}
		if used >= budget && len(b.cur) == 0 {
			return nil
		}
		if b.coll == nil {
			done, n, err := b.tryPatch(tx, coll)
			if err != nil {
				return fmt.Errorf("collection %s: %w", coll, err)
			}
			if done {
				used += n
				continue
			}
		}
		b.merge.take()
		b.coll = coll
		b.cur = append(b.cur, entry{key: key, id: id})
		used++
		if len(b.cur) < maxChunkEntries && !boundary(key) {
			continue
		}
		if err := b.emit(tx); err != nil {
			return fmt.Errorf("collection %s: %w", b.coll, err)
		}
	}
}

// emit stores the chunk in progress, unless the chunk index already
// holds it.
func (b *treeBuild) emit(tx *bbolt.Tx) error {
	id, n, err := b.store.put(tx, encodeChunk(b.cur))
	if err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	b.added += n
	b.refs = append(b.refs, chunkRef{first: b.cur[0].key, id: id, count: len(b.cur)})
	b.count += len(b.cur)
	b.cur = b.cur[:0] // encoded: its array is the next chunk's
	return nil
}

// finish stores the collection's last chunk, its index nodes and root.
func (b *treeBuild) finish(tx *bbolt.Tx) error {
	if len(b.cur) > 0 {
		if err := b.emit(tx); err != nil {
			return err
		}
	}
	level, top, err := buildIndex(tx, &b.store, b.refs, &b.added)
	if err != nil {
		return err
	}
	root := encodeIndex(level, top)
	h := hashOf(root)
	if roots := tx.Bucket(bucketRoots); roots.Get(h[:]) == nil {
		if err := roots.Put(h[:], root); err != nil {
			return fmt.Errorf("store root: %w", err)
		}
		b.added += int64(len(h) + len(root))
	}
	b.result[string(b.coll)] = Collection{Root: h, Count: b.count}
	b.coll, b.refs, b.count = nil, nil, 0
	return nil
}
