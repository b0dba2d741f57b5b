package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// Writer streams one run's objects into the database. Put is safe for
// concurrent use; Commit or Abort ends the run.
type Writer struct {
	db        *DB
	id        string
	workspace string
	startedAt time.Time

	mu         sync.Mutex
	batch      []pending
	batchBytes int
	spare      []pending         // a written batch's slice, emptied, for the next one
	ids        map[Hash]uint64   // writeBatch's, kept from batch to batch (written one at a time)
	recs       [][]byte          // writeBatch's: the last batch's pack record buffers, for the next one's (keepRecs)
	failed     map[string]string // kind -> error text
	added      int64             // bytes of the blob records and index entries this run stored
	healed     []Healed          // objects whose damaged blob this run stored afresh
	packs      checkedPacks      // the packs this run's deduplication checked
	stored     storedPacks       // the keys of the packs this run stored, for its commit to merge (packs_merge.go)
	err        error             // first write error: the run cannot commit
	done       bool
	base       *Snapshot           // BeginFrom's base; nil: the run holds every object
	touched    map[string]bool     // collections Put into, with a base
	deletes    map[string][][]byte // collection -> sort keys Deleted, with a base
	// inflight is closed when the last batch handed to the background is
	// written, queued when the batch handed before it; nil when none.
	inflight, queued chan struct{}
	// names holds the collection names and sort keys of the buffered
	// objects, one after the other (pending.coll and .key are slices of
	// it): two allocations an object were a third of a backup's
	// allocations. When full it is replaced, never reused: the batches
	// being written still refer to it.
	names []byte
	// copies is the chunk PutCopy copies objects into; chunks the chunks
	// the buffered batch's copies are in, handed with it to the
	// background, whose chunks come back to free once it is written.
	// Chunks are big buffers (bigbuf.go), all listed in owned: the run's
	// end gives them back (releaseChunks), and so does the collection of
	// a Writer dropped without Commit or Abort (a panic that the daemon
	// recovers from).
	copies       []byte
	chunks, free [][]byte
	owned        *ownedChunks
}

// ownedChunks lists the chunks a Writer took. A Writer uses its free
// chunks before it takes another, so the list holds at most the most it
// had in use at once (batches being filled and written).
type ownedChunks struct {
	mu   sync.Mutex
	list [][]byte
}

// release gives back every chunk listed, once: the run's end and the
// Writer's collection both call it.
func (o *ownedChunks) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.list {
		bigFree(c)
	}
	o.list = nil
}

// copyChunk is the size of the chunks PutCopy copies objects into, some
// 600 objects of the fake API; an object over a quarter of it is copied
// on its own.
const copyChunk = 256 << 10

// namesChunk is the size of a Writer's names buffer: some 2,000 objects'
// collection names and keys.
const namesChunk = 32 << 10

// pending is one buffered Put.
type pending struct {
	coll []byte
	key  []byte // sort key
	hash Hash
	raw  []byte // the raw JSON: a copy, or the caller's (PutOwned)
}

// Begin starts a run for workspace: it records the run as running and
// returns the Writer that feeds it.
func (db *DB) Begin(workspace string, startedAt time.Time) (*Writer, error) {
	if db.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	if workspace == "" || len(workspace) > maxKeyLen || strings.ContainsRune(workspace, 0) {
		return nil, fmt.Errorf("%w: workspace %q", ErrInvalid, workspace)
	}
	w := &Writer{db: db, workspace: workspace, startedAt: startedAt.UTC(), failed: map[string]string{}}
	err := db.update(func(tx *bbolt.Tx) error {
		for {
			id, err := newID()
			if err != nil {
				return err
			}
			if tx.Bucket(bucketRuns).Get([]byte(id)) == nil {
				w.id = id
				break
			}
		}
		if _, err := tx.Bucket(bucketPending).CreateBucket([]byte(w.id)); err != nil {
			return fmt.Errorf("create pending bucket: %w", err)
		}
		_, err := putRun(tx, Run{ID: w.id, Workspace: workspace, StartedAt: w.startedAt, Outcome: OutcomeRunning})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin run of %s: %w", workspace, err)
	}
	return w, nil
}

// ID returns the run's id, which the snapshot keeps when committed.
func (w *Writer) ID() string { return w.id }

// Put stores one object: raw is its JSON as received, filed under kind,
// parent ("" at workspace level) and key. A later Put of the same kind,
// parent and key replaces the earlier one. Objects are buffered and written
// in batches; an error from a batch write is returned by the Put that
// triggered it and by every later call: the run must then be aborted.
func (w *Writer) Put(kind, parent, key string, raw []byte) error {
	if err := checkNames(kind, parent, key); err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	if len(raw) > maxBlobSize {
		return fmt.Errorf("put %s %q: %w: %d bytes is more than %d", kind, key, ErrInvalid, len(raw), maxBlobSize)
	}
	h, err := ContentHash(raw)
	if err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	return w.put(kind, parent, key, pending{hash: h, raw: bytes.Clone(raw)}, false)
}

// PutHashed stores one object as Put does, under h, its ContentHash, which
// the caller has already checked: raw is neither canonicalised nor hashed
// again. offsite restore-db files objects this way; it checks each object
// against the repository's index once, however many snapshots hold it.
// With raw nil the database must already hold the blob h (a batch that
// meets none fails, as does the run): the run then refers to it as an
// unchanged backup does, without its bytes to compare with the stored
// copy.
func (w *Writer) PutHashed(kind, parent, key string, h Hash, raw []byte) error {
	if err := checkNames(kind, parent, key); err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	if len(raw) > maxBlobSize {
		return fmt.Errorf("put %s %q: %w: %d bytes is more than %d", kind, key, ErrInvalid, len(raw), maxBlobSize)
	}
	if raw != nil {
		raw = bytes.Clone(raw)
	}
	return w.put(kind, parent, key, pending{hash: h, raw: raw}, false)
}

// PutOwned stores one object as PutHashed does, but keeps raw itself
// until its batch is written instead of a copy: the caller hands raw
// over and must never modify it. A backup files each listed object this
// way, a slice of the page the client read it from (the client never
// reuses a page's buffer): the copy and its allocation were 4.5% of a
// first backup's CPU. raw must hold at least one byte.
func (w *Writer) PutOwned(kind, parent, key string, h Hash, raw []byte) error {
	if err := checkNames(kind, parent, key); err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	if len(raw) == 0 || len(raw) > maxBlobSize { // empty bytes would read as a reference to a stored blob (PutHashed)
		return fmt.Errorf("put %s %q: %w: %d bytes: want 1 to %d", kind, key, ErrInvalid, len(raw), maxBlobSize)
	}
	return w.put(kind, parent, key, pending{hash: h, raw: raw}, false)
}

// PutCopy stores one object as PutHashed does, copying raw into buffers
// of the run's that are used again once the objects in them are written:
// a backup lists its pages into buffers the client reads later pages into
// (api.Client.ListLent), so it neither keeps each page until its objects
// are written nor takes a fresh buffer for each. raw must hold at least one byte.
func (w *Writer) PutCopy(kind, parent, key string, h Hash, raw []byte) error {
	if err := checkNames(kind, parent, key); err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	if len(raw) == 0 || len(raw) > maxBlobSize { // empty bytes would read as a reference to a stored blob (PutHashed)
		return fmt.Errorf("put %s %q: %w: %d bytes: want 1 to %d", kind, key, ErrInvalid, len(raw), maxBlobSize)
	}
	return w.put(kind, parent, key, pending{hash: h, raw: raw}, true)
}

// copyRaw returns a copy of raw in the Writer's chunks. The caller holds
// w.mu.
func (w *Writer) copyRaw(raw []byte) []byte {
	if len(raw) > copyChunk/4 {
		return bytes.Clone(raw)
	}
	if len(w.copies)+len(raw) > cap(w.copies) {
		if n := len(w.free); n > 0 {
			w.copies, w.free[n-1] = w.free[n-1][:0], nil
			w.free = w.free[:n-1]
		} else {
			w.copies = bigAlloc(copyChunk)[:0]
			if w.owned == nil {
				w.owned = &ownedChunks{}
				// After the Writer is unreachable, which it is not while a
				// batch of it is being written (the goroutine holds it).
				runtime.AddCleanup(w, (*ownedChunks).release, w.owned)
			}
			w.owned.mu.Lock()
			w.owned.list = append(w.owned.list, w.copies)
			w.owned.mu.Unlock()
		}
		w.chunks = append(w.chunks, w.copies)
	}
	start := len(w.copies)
	w.copies = append(w.copies, raw...)
	// Its room runs on to the chunk's end, over the objects copied after
	// it: compressDrafts finds a pack's objects side by side so (inPlace),
	// and compresses them where they are.
	return w.copies[start:]
}

// put buffers p, filed in the collection of kind and parent under key,
// and hands a full batch to the background; with copy, p.raw is copied
// into the Writer's chunks (copyRaw).
func (w *Writer) put(kind, parent, key string, p pending, copyRaw bool) error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return ErrRunFinished
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	p.coll, p.key = w.fileNames(kind, parent, key)
	if copyRaw {
		p.raw = w.copyRaw(p.raw)
	}
	if w.base != nil {
		w.touched[string(p.coll)] = true
	}
	w.batch = append(w.batch, p)
	w.batchBytes += len(p.raw) + len(p.key) + len(p.coll) + len(p.hash)
	if len(w.batch) < w.db.opts.BatchObjects && w.batchBytes < w.db.opts.BatchBytes {
		w.mu.Unlock()
		return nil
	}
	batch, chunks := w.batch, w.chunks
	w.batch, w.batchBytes, w.spare = w.spare, 0, nil
	if w.batch == nil {
		w.batch = make([]pending, 0, len(batch))
	}
	// The next batch's copies start a chunk of their own: a chunk goes
	// back to free when the one batch copied into it is written.
	w.copies, w.chunks = nil, nil
	older, prev, done := w.queued, w.inflight, make(chan struct{})
	w.queued, w.inflight = prev, done
	w.mu.Unlock()
	w.flushInBackground(older, prev, done, batch, chunks)
	return nil
}

// fileNames returns the collection name of kind and parent
// (CollectionName) and the sort key of key (sortKey), written to w.names.
// The caller holds w.mu.
func (w *Writer) fileNames(kind, parent, key string) (coll, sk []byte) {
	n := len(kind) + 1 + len(parent) + 2 + len(key)
	if len(w.names)+n > cap(w.names) {
		w.names = make([]byte, 0, max(namesChunk, n))
	}
	start := len(w.names)
	w.names = append(w.names, kind...)
	if parent != "" {
		w.names = append(w.names, '/')
		w.names = append(w.names, parent...)
	}
	mid := len(w.names)
	w.names = appendSortKey(w.names, key)
	return w.names[start:mid:mid], w.names[mid:len(w.names):len(w.names)]
}

// appendSortKey appends sortKey(key) to b.
func appendSortKey(b []byte, key string) []byte {
	if isNumeric(key) {
		b = append(b, tagNumber, byte(len(key)))
	} else {
		b = append(b, tagText)
	}
	return append(b, key...)
}

// flushInBackground writes batch on a goroutine of its own once the batch
// before it (prev) is written, so that fetching goes on while batches are
// written; batches are written in the order they were filled. The caller
// waits for the batch before prev (older): at most two full batches wait
// for the disk while the next one fills.
func (w *Writer) flushInBackground(older, prev, done chan struct{}, batch []pending, chunks [][]byte) {
	if older != nil {
		<-older
	}
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		w.db.gc.RLock()
		added, healed, err := w.writeBatch(batch, false)
		w.db.gc.RUnlock()
		clear(batch) // its objects' bytes go with it
		w.mu.Lock()
		defer w.mu.Unlock()
		w.spare = batch[:0]
		// Nothing refers to the batch's copies any more: its records
		// and packs are written (or failed), its objects cleared.
		w.free = append(w.free, chunks...)
		w.added += added
		w.healed = append(w.healed, healed...)
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("write batch of run %s: %w", w.id, err)
		}
	}()
}

// releaseChunks gives back the Writer's chunks, once the run wrote its
// last batch or dropped it: nothing refers to them any more. The caller
// holds w.mu, after finish.
func (w *Writer) releaseChunks() {
	if w.owned != nil {
		w.owned.release() // w.free's and w.chunks' chunks: every one
		bigTrim()
	}
	w.free, w.chunks, w.copies = nil, nil, nil
	clear(w.batch) // a batch a failed commit left refers to them
	w.batch = w.batch[:0]
}

// finish marks the run done so that no Put starts a flush, then waits for
// the batch being written, if any. The caller must not hold w.mu.
func (w *Writer) finish() error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return ErrRunFinished
	}
	w.done = true
	inflight := w.inflight
	w.mu.Unlock()
	if inflight != nil {
		<-inflight
	}
	return nil
}

// Fail marks kind as not read: the snapshot will be partial, with err's text
// for that kind. Objects of the kind already put are kept.
func (w *Writer) Fail(kind string, err error) {
	msg := "failed"
	if err != nil {
		msg = err.Error()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.failed[kind] = msg
	}
}

// Abort ends the run without a snapshot: the run is recorded as aborted with
// reason and its ending (cancelled when reason is or wraps a context's
// cancellation or deadline, failed otherwise), its pending entries are deleted and the blobs only it referenced
// are reclaimed (a prune).
func (w *Writer) Abort(reason error) error {
	if err := w.finish(); err != nil {
		return err
	}
	w.mu.Lock()
	w.batch = nil
	w.releaseChunks()
	w.mu.Unlock()

	msg := "aborted"
	if reason != nil {
		msg = reason.Error()
	}
	ending := EndFailed
	if errors.Is(reason, context.Canceled) || errors.Is(reason, context.DeadlineExceeded) {
		ending = EndCancelled
	}
	if err := w.db.endRun(w.id, OutcomeAborted, ending, msg); err != nil {
		return fmt.Errorf("abort run %s: %w", w.id, err)
	}
	st, err := w.db.Prune()
	if err != nil {
		return fmt.Errorf("abort run %s: reclaim its data: %w", w.id, err)
	}
	w.db.log.Info("run aborted", "run", w.id, "workspace", w.workspace, "reason", msg,
		"reclaimed_objects", st.Objects(), "reclaimed_bytes", st.Bytes)
	return nil
}

// FailRun records a run of workspace that failed before it read anything
// (its environment's key file cannot be read): Runs lists it as failed,
// with reason's text, as the run history and the dashboard show it. It
// stored nothing, so nothing is pruned.
func (db *DB) FailRun(workspace string, startedAt time.Time, reason error) error {
	w, err := db.Begin(workspace, startedAt)
	if err != nil {
		return err
	}
	if err := w.finish(); err != nil {
		return err
	}
	return db.endRun(w.id, OutcomeAborted, EndFailed, reason.Error())
}

// endRun records a run that produced no snapshot and deletes its pending data.
func (db *DB) endRun(id string, outcome Outcome, ending Ending, msg string) error {
	return db.update(func(tx *bbolt.Tx) error {
		return endRunTx(tx, id, outcome, ending, msg, db.opts.Now())
	})
}

func endRunTx(tx *bbolt.Tx, id string, outcome Outcome, ending Ending, msg string, now time.Time) error {
	pb := tx.Bucket(bucketPending)
	if pb.Bucket([]byte(id)) != nil {
		if err := pb.DeleteBucket([]byte(id)); err != nil {
			return fmt.Errorf("delete pending data: %w", err)
		}
	}
	r, err := getRun(tx, id)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		r = Run{ID: id}
	}
	r.Outcome, r.Ending, r.Error, r.FinishedAt = outcome, ending, msg, now.UTC()
	_, err = putRun(tx, r)
	return err
}

// putRun writes a run record and returns its size (key and value).
func putRun(tx *bbolt.Tx, r Run) (int64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("encode run: %w", err)
	}
	if err := tx.Bucket(bucketRuns).Put([]byte(r.ID), b); err != nil {
		return 0, err
	}
	return int64(len(r.ID) + len(b)), nil
}

func getRun(tx *bbolt.Tx, id string) (Run, error) {
	var r Run
	v := tx.Bucket(bucketRuns).Get([]byte(id))
	if v == nil {
		return r, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("%w: run %s: %v", ErrCorrupt, id, err)
	}
	return r, nil
}
