package snapshot

import (
	"encoding/json"
	"fmt"
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
	tb := &treeBuild{run: []byte(w.id), result: map[string]Collection{}}
	for !tb.done {
		if err := w.db.update(func(tx *bbolt.Tx) error { return tb.step(tx, commitBudget) }); err != nil {
			return nil, fmt.Errorf("build trees: %w", err)
		}
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
	err := w.db.update(func(tx *bbolt.Tx) error {
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
// stores its last chunk.
type treeBuild struct {
	run    []byte
	coll   []byte     // collection in progress; nil before the first
	from   []byte     // next sort key in coll; nil to start at its first
	refs   []chunkRef // chunks of coll so far
	count  int
	result map[string]Collection
	added  int64 // bytes of the chunks, index nodes, roots and index entries stored
	done   bool
}

func (b *treeBuild) step(tx *bbolt.Tx, budget int) error {
	run := tx.Bucket(bucketPending).Bucket(b.run)
	if run == nil {
		return fmt.Errorf("run %s is no longer pending", b.run)
	}
	rc := run.Cursor()
	name, _ := rc.First()
	if b.coll != nil {
		name, _ = rc.Seek(b.coll)
	}
	for ; name != nil; name, _ = rc.Next() {
		if budget <= 0 {
			b.coll = append([]byte(nil), name...)
			return nil
		}
		cb := run.Bucket(name)
		if cb == nil {
			return fmt.Errorf("%w: pending collection %q is not a bucket", ErrCorrupt, name)
		}
		used, finished, err := b.chunks(tx, cb, budget)
		if err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
		budget -= used
		if !finished {
			b.coll = append([]byte(nil), name...)
			return nil
		}
		level, top, err := buildIndex(tx, b.refs, &b.added)
		if err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
		root := encodeIndex(level, top)
		h := hashOf(root)
		if roots := tx.Bucket(bucketRoots); roots.Get(h[:]) == nil {
			if err := roots.Put(h[:], root); err != nil {
				return fmt.Errorf("store root: %w", err)
			}
			b.added += int64(len(h) + len(root))
		}
		b.result[string(name)] = Collection{Root: h, Count: b.count}
		b.refs, b.from, b.count = nil, nil, 0
	}
	b.done = true
	return nil
}

// chunks cuts cb's entries, from b.from, into chunks and stores them. It
// stops at the first boundary after budget entries; finished reports that
// the collection's last chunk was written.
func (b *treeBuild) chunks(tx *bbolt.Tx, cb *bbolt.Bucket, budget int) (used int, finished bool, err error) {
	chunks, index := tx.Bucket(bucketChunks), tx.Bucket(bucketChunkIndex)
	c := cb.Cursor()
	k, v := c.First()
	if b.from != nil {
		k, v = c.Seek(b.from)
	}
	var cur []entry
	emit := func() error {
		enc := encodeChunk(cur)
		h := hashOf(enc)
		id := lookupID(index, h)
		if id == 0 {
			var n int64
			var err error
			if id, n, err = store(chunks, index, h, enc); err != nil {
				return fmt.Errorf("store chunk: %w", err)
			}
			b.added += n
		}
		b.refs = append(b.refs, chunkRef{first: cur[0].key, id: id, count: len(cur)})
		b.count += len(cur)
		cur = nil
		return nil
	}
	for ; k != nil; k, v = c.Next() {
		id, ok := idFromValue(v)
		if !ok {
			return used, false, fmt.Errorf("%w: pending entry %q has no blob id", ErrCorrupt, k)
		}
		cur = append(cur, entry{key: append([]byte(nil), k...), id: id})
		used++
		if len(cur) < maxChunkEntries && !boundary(k) {
			continue
		}
		if err := emit(); err != nil {
			return used, false, err
		}
		if used >= budget {
			if k, _ = c.Next(); k != nil {
				b.from = append([]byte(nil), k...)
				return used, false, nil
			}
			return used, true, nil
		}
	}
	if len(cur) > 0 {
		if err := emit(); err != nil {
			return used, false, err
		}
	}
	return used, true, nil
}
