package snapshot

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// fileSpan is about how many blob index entries (filed or not) the key
// range of one filing transaction covers: the index pages that transaction
// rewrites, about 2,000 of them (8 MiB), whatever the index's size.
const fileSpan = 80_000

// unfiled holds the blob index entries of blobs already stored but not yet
// filed in the blob-index bucket.
//
// The blob index is keyed by content hash, so new entries land at random
// places in it, and bbolt rewrites every page a transaction touches. Filing
// the entries of each 5,000-object batch with the batch touched most of the
// index every batch: a 100,000-item first backup wrote about 2,200 pages a
// batch by its end for 280 pages of new blobs, and a 1,000,000-item one
// spent more time rewriting the index than fetching. Entries therefore wait
// here until enough do (the limit), a run commits, or a prune starts; then
// they are filed sorted, in transactions that each cover one slice of the
// hash range (fileSpan), so each index page is rewritten about once per
// filing and one transaction's memory does not grow with the index.
//
// Crash safety does not depend on them: a blob is stored in the same
// transaction as the pending entries that reference it, and a snapshot
// record is only written after every waiting entry is filed. A process that
// dies loses the waiting entries, but their blobs are referenced by nothing
// but the dead run's pending entries, which recovery deletes before its
// prune sweeps the blobs bucket by id.
//
// Locking: write serializes the transactions that store blobs or file
// entries (bbolt serializes write transactions anyway) and is held until
// the waiting set matches what a transaction committed, so a writer that
// checks again inside its transaction sees every blob stored before it. mu
// guards the set for lookups outside write transactions.
type unfiled struct {
	limit int

	write sync.Mutex
	// stores counts the transactions that stored blobs; it changes only
	// under write. A writer that saw the same count before its lookups
	// and in its write transaction knows no blob came meanwhile.
	stores atomic.Uint64

	mu      sync.RWMutex
	entries map[Hash]uint64
}

func newUnfiled(limit int) *unfiled {
	return &unfiled{limit: limit, entries: map[Hash]uint64{}}
}

// filedBlob is one blob index entry.
type filedBlob struct {
	hash Hash
	id   uint64
}

// lookup returns the id of the blob of hash h: waiting here or filed in
// index, 0 when none.
func (u *unfiled) lookup(index *bbolt.Bucket, h Hash) uint64 {
	u.mu.RLock()
	id := u.entries[h]
	u.mu.RUnlock()
	if id != 0 {
		return id
	}
	return lookupID(index, h)
}

// wait adds entries of blobs a committed transaction stored. The caller
// holds write.
func (u *unfiled) wait(stored []filedBlob) {
	if len(stored) == 0 {
		return
	}
	u.mu.Lock()
	for _, b := range stored {
		u.entries[b.hash] = b.id
	}
	u.mu.Unlock()
	u.stores.Add(1)
}

// waiting returns the waiting entries sorted by hash.
func (u *unfiled) waiting() []filedBlob {
	u.mu.RLock()
	all := make([]filedBlob, 0, len(u.entries))
	for h, id := range u.entries {
		all = append(all, filedBlob{hash: h, id: id})
	}
	u.mu.RUnlock()
	slices.SortFunc(all, func(a, b filedBlob) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return all
}

// due reports whether enough entries wait to be filed.
func (u *unfiled) due() bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.entries) >= u.limit
}

// filed drops entries a committed transaction filed.
func (u *unfiled) filed(done []filedBlob) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, b := range done {
		delete(u.entries, b.hash)
	}
}

// fileBlobs files every waiting blob index entry.
func (db *DB) fileBlobs() error {
	db.unfiled.write.Lock()
	defer db.unfiled.write.Unlock()
	return db.fileBlobsLocked()
}

// fileBlobsLocked files every waiting blob index entry, sorted, in as many
// transactions as the index needs for each to span about fileSpan
// entries. The caller holds db.unfiled.write.
func (db *DB) fileBlobsLocked() error {
	all := db.unfiled.waiting()
	if len(all) == 0 {
		return nil
	}
	var blobs uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		blobs = tx.Bucket(bucketBlobs).Sequence() // every id given; a bound on the index's size
		return nil
	}); err != nil {
		return err
	}
	parts := max(1, int((blobs+fileSpan-1)/fileSpan))
	per := (len(all) + parts - 1) / parts
	for part := range slices.Chunk(all, per) {
		err := db.update(func(tx *bbolt.Tx) error {
			index := tx.Bucket(bucketBlobIndex)
			for i := range part {
				if err := index.Put(part[i].hash[:], idValue(part[i].id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("file blob index entries: %w", err)
		}
		db.unfiled.filed(part)
	}
	return nil
}
