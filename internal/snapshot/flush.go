package snapshot

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"go.etcd.io/bbolt"
)

// flushLocked writes the buffered objects: it finds which blobs are new in
// a read transaction, compresses those outside any transaction (in
// parallel), and writes blobs, their index entries and the pending entries
// in one write transaction. The caller holds w.mu and db.gc (shared), so no
// prune can remove a blob between the two transactions.
func (w *Writer) flushLocked() error {
	if len(w.batch) == 0 {
		return nil
	}
	added, err := w.writeBatch(w.batch)
	w.added += added
	if err != nil {
		w.err = fmt.Errorf("write batch of run %s: %w", w.id, err)
		return w.err
	}
	clear(w.batch)
	w.batch = w.batch[:0]
	w.batchBytes = 0
	return nil
}

// writeBatch writes batch and returns the bytes of new records it stored.
// It changes none of the Writer's fields: it may run on a goroutine of its
// own (flushInBackground).
func (w *Writer) writeBatch(batch []pending) (int64, error) {
	ids := make(map[Hash]uint64, len(batch)) // blob hash -> id; 0 while unknown
	var fresh []int                          // index in batch of the first object of each new blob
	err := w.db.bolt.View(func(tx *bbolt.Tx) error {
		index := tx.Bucket(bucketBlobIndex)
		for i, p := range batch {
			if _, seen := ids[p.hash]; seen {
				continue
			}
			id := lookupID(index, p.hash)
			ids[p.hash] = id
			if id == 0 {
				fresh = append(fresh, i)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	packed, err := compressAll(batch, fresh)
	if err != nil {
		return 0, err
	}
	var added int64
	err = w.db.update(func(tx *bbolt.Tx) error {
		blobs, index := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobIndex)
		for j, i := range fresh {
			h := batch[i].hash
			if id := lookupID(index, h); id != 0 {
				ids[h] = id // another run stored it meanwhile
				continue
			}
			id, n, err := store(blobs, index, h, encodeBlob(h, packed[j]))
			if err != nil {
				return fmt.Errorf("store blob: %w", err)
			}
			ids[h], added = id, added+n
		}
		run := tx.Bucket(bucketPending).Bucket([]byte(w.id))
		if run == nil {
			return fmt.Errorf("run %s is no longer pending", w.id)
		}
		colls := map[string]*bbolt.Bucket{}
		for i := range batch {
			p := &batch[i] // bbolt keeps the slices until the commit
			cb := colls[string(p.coll)]
			if cb == nil {
				var err error
				if cb, err = run.CreateBucketIfNotExists(p.coll); err != nil {
					return fmt.Errorf("pending collection %s: %w", p.coll, err)
				}
				colls[string(p.coll)] = cb
			}
			if err := cb.Put(p.key, idValue(ids[p.hash])); err != nil {
				return fmt.Errorf("pending entry: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// compressAll compresses the raw JSON of batch[i] for each i in idx, on
// up to GOMAXPROCS goroutines.
func compressAll(batch []pending, idx []int) ([][]byte, error) {
	out := make([][]byte, len(idx))
	workers := min(runtime.GOMAXPROCS(0), (len(idx)+31)/32)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for j := g; j < len(idx); j += workers {
				if out[j], errs[g] = compress(batch[idx[j]].raw); errs[g] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
