package app

import (
	"errors"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// readAheadBatch is how many objects the reader hands over at once.
const readAheadBatch = 256

var errReadStopped = errors.New("read stopped")

type walkedObject struct {
	coll, key string
	raw       []byte
}

// walkAhead calls fn for every object of the collections, in order, as
// db.WalkObjects does, but reads the snapshot in a goroutine of its own,
// a few batches ahead: reading and decompressing the stored objects
// overlaps with what fn does with them (encoding, hashing, compressing),
// so an export takes about the longer of the two, not their sum. An error
// from fn stops the reader and is returned.
func walkAhead(db *snapshot.DB, snap *snapshot.Snapshot, colls []string, fn func(coll, key string, raw []byte) error) error {
	batches := make(chan []walkedObject, 4)
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		var batch []walkedObject
		send := func() bool {
			select {
			case batches <- batch:
				batch = nil
				return true
			case <-stop:
				return false
			}
		}
		for _, coll := range colls {
			err := db.WalkObjects(snap, coll, func(key string, raw []byte) error {
				batch = append(batch, walkedObject{coll, key, raw})
				if len(batch) == readAheadBatch && !send() {
					return errReadStopped
				}
				return nil
			})
			if err != nil {
				readErr <- err
				return
			}
		}
		if len(batch) > 0 {
			send()
		}
		readErr <- nil
	}()
	var err error
	for b := range batches {
		for _, o := range b {
			if err = fn(o.coll, o.key, o.raw); err != nil {
				break
			}
		}
		if err != nil {
			close(stop)
			break
		}
	}
	if err != nil {
		for range batches { // let the reader finish
		}
		<-readErr
		return err
	}
	return <-readErr
}
