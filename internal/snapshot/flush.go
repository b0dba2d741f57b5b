package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"go.etcd.io/bbolt"
)

// flushLocked writes the buffered objects, the run's last batch. The caller
// holds w.mu and db.gc (shared).
func (w *Writer) flushLocked() error {
	added, healed, err := w.writeBatch(w.batch, true)
	w.added += added
	w.healed = append(w.healed, healed...)
	if err != nil {
		w.err = fmt.Errorf("write batch of run %s: %w", w.id, err)
		return w.err
	}
	clear(w.batch)
	w.batch = w.batch[:0]
	w.batchBytes = 0
	return nil
}

// writeBatch writes batch and returns the bytes of new records it stored
// and the objects whose damaged blob it stored afresh.
// It finds which blobs are new in a read transaction, compresses those
// outside any transaction, and writes the blobs and the pending entries in
// one write transaction; the new blobs' index entries wait (see unfiled)
// until enough do. last marks the run's last batch, compressed on every
// core. It changes none of the Writer's fields: it may run on a goroutine
// of its own (flushInBackground). The caller holds db.gc (shared), so no
// prune can remove a blob between the two transactions.
func (w *Writer) writeBatch(batch []pending, last bool) (int64, []Healed, error) {
	if len(batch) == 0 {
		return 0, nil, nil
	}
	if err := w.db.unfiledReady(); err != nil {
		return 0, nil, err
	}
	u := w.db.unfiled
	stores := u.stores.Load()
	ids := make(map[Hash]uint64, len(batch)) // blob hash -> id; 0 while unknown
	var fresh []int                          // index in batch of the first object of each new blob
	var heal []int                           // the same, for stored blobs recorded damaged
	var reused []int                         // the same, for the other stored blobs
	var copies [][]byte                      // the records of reused, copied out
	err := w.db.bolt.View(func(tx *bbolt.Tx) error {
		index, blobs := tx.Bucket(bucketBlobIndex), tx.Bucket(bucketBlobs)
		// A blob recorded damaged is stored again over its record (same id,
		// so every snapshot that refers to it heals). The set is empty but
		// after a repair, and an empty set costs one cursor step a batch.
		dmg := tx.Bucket(bucketDamaged)
		if dmg != nil {
			if k, _ := dmg.Cursor().First(); k == nil {
				dmg = nil
			}
		}
		for i, p := range batch {
			if _, seen := ids[p.hash]; seen {
				continue
			}
			id := u.lookup(index, p.hash)
			ids[p.hash] = id
			switch {
			case id == 0:
				fresh = append(fresh, i)
			case dmg != nil && dmg.Get(idKey(id)) != nil:
				heal = append(heal, i)
			default:
				reused = append(reused, i)
				copies = append(copies, bytes.Clone(blobs.Get(idKey(id))))
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	workers := 1
	if last {
		workers = runtime.GOMAXPROCS(0)
	}
	// Deduplication trusts no stored copy it has not compared with the
	// bytes just fetched: one that differs is stored afresh with the
	// damaged ones.
	rotten, err := damagedCopies(batch, reused, copies, workers)
	if err != nil {
		return 0, nil, err
	}
	forced := len(heal)
	heal = append(heal, rotten...)
	records, err := packAll(batch, append(fresh[:len(fresh):len(fresh)], heal...), workers)
	if err != nil {
		return 0, nil, err
	}
	u.write.Lock()
	defer u.write.Unlock()
	var added int64
	var stored []filedBlob
	var healed []Healed
	err = w.db.update(func(tx *bbolt.Tx) error {
		stored, healed, added = stored[:0], healed[:0], 0
		blobs, index := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobIndex)
		recheck := u.stores.Load() != stores // another run stored blobs meanwhile
		for j, i := range fresh {
			h := batch[i].hash
			if recheck {
				if id := u.lookup(index, h); id != 0 {
					ids[h] = id // stored meanwhile
					continue
				}
			}
			id, n, err := storeRecord(blobs, records[j])
			if err != nil {
				return fmt.Errorf("store blob: %w", err)
			}
			// The index entry counts now, whenever it is filed.
			ids[h], added = id, added+n+int64(len(h)+len(idValue(id)))
			stored = append(stored, filedBlob{hash: h, id: id})
		}
		if len(heal) > 0 {
			var n int64
			var err error
			healed, n, err = healBlobs(tx, batch, heal, forced, ids, records[len(fresh):])
			if err != nil {
				return err
			}
			added += n
		}
		return w.putPending(tx, batch, ids)
	})
	if err != nil {
		return 0, nil, err
	}
	u.wait(stored)
	if u.due() {
		if err := w.db.fileBlobsLocked(nil); err != nil {
			return added, healed, err
		}
	}
	return added, healed, nil
}

// putPending files the batch's pending entries, each naming its blob's id.
func (w *Writer) putPending(tx *bbolt.Tx, batch []pending, ids map[Hash]uint64) error {
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
}

// packAll makes the blob record (packBlob) of batch[i] for each i in idx on
// up to workers goroutines. While a run fetches, one goroutine keeps up
// with the API, and leaving the other cores to the fetching goroutines
// keeps the answers flowing: with one compressing goroutine per core, a
// 100,000-item backup took 4% longer. The last batch, written when
// fetching is over, uses every core.
func packAll(batch []pending, idx []int, workers int) ([][]byte, error) {
	out := make([][]byte, len(idx))
	workers = max(1, min(workers, (len(idx)+31)/32))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for j := g; j < len(idx); j += workers {
				p := &batch[idx[j]]
				if out[j], errs[g] = packBlob(p.hash, p.raw); errs[g] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// healBlobs overwrites the records of the damaged blobs that batch[i] for
// i in heal brings again (records holds their fresh records, in the same
// order) and takes them out of the damaged set: heal[:recorded] are those
// recorded damaged, the rest those whose stored copy differed from the
// bytes fetched (damagedCopies). It returns the objects that brought them
// and the bytes written.
func healBlobs(tx *bbolt.Tx, batch []pending, heal []int, recorded int, ids map[Hash]uint64, records [][]byte) ([]Healed, int64, error) {
	blobs, dmg := tx.Bucket(bucketBlobs), tx.Bucket(bucketDamaged)
	var n int64
	var healed []Healed
	for j, i := range heal {
		k := idKey(ids[batch[i].hash])
		if j < recorded && dmg.Get(k) == nil {
			continue // healed meanwhile by another run
		}
		if err := blobs.Put(k, records[j]); err != nil {
			return nil, n, fmt.Errorf("store blob afresh: %w", err)
		}
		if err := dmg.Delete(k); err != nil {
			return nil, n, fmt.Errorf("store blob afresh: %w", err)
		}
		n += int64(len(k) + len(records[j]))
		key, err := keyText(batch[i].key)
		if err != nil {
			key = fmt.Sprintf("%q", batch[i].key)
		}
		healed = append(healed, Healed{Collection: string(batch[i].coll), Key: key, Hash: batch[i].hash})
	}
	return healed, n, nil
}

// damagedCopies compares the stored copy of each blob batch[i] reuses, for
// i in idx (recs holds their records, in the same order), with the bytes
// just fetched, on up to workers goroutines, and returns the i whose copy
// is damaged: a record that does not decode, is missing, holds another
// hash (unless that record is sound: then the index is damaged, and the
// error wraps ErrCorrupt), does not decompress, or decompresses to bytes
// whose canonical JSON hashes elsewhere. The bytes fetched usually equal those stored, so the
// cost is a decompression and a comparison; only a copy kept in another
// raw form of the same content is hashed.
func damagedCopies(batch []pending, idx []int, recs [][]byte, workers int) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	bad := make([]bool, len(idx))
	errs := make([]error, len(idx))
	workers = max(1, min(workers, (len(idx)+255)/256))
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			var buf []byte
			for j := g; j < len(idx); j += workers {
				p := &batch[idx[j]]
				h, packed, err := decodeBlob(recs[j])
				if err == nil {
					buf, err = decompressTo(buf[:0], packed)
				}
				switch {
				case err != nil:
					bad[j] = true
				case h != p.hash:
					// A record of another blob, sound in itself, means the
					// index is wrong: overwriting it would damage that blob.
					if got, herr := ContentHash(buf); herr == nil && got == h {
						errs[j] = fmt.Errorf("%w: the blob index files %s under a record of %s: run %s",
							ErrCorrupt, p.hash.Short(), h.Short(), "enspace-sync verify --repair")
					} else {
						bad[j] = true
					}
				case !bytes.Equal(buf, p.raw):
					got, err := ContentHash(buf)
					bad[j] = err != nil || got != p.hash
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []int
	for j, b := range bad {
		if b {
			out = append(out, idx[j])
		}
	}
	return out, nil
}
