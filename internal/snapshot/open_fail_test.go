package snapshot

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"go.etcd.io/bbolt"
)

// panicAt is a log handler that panics at the record whose message is
// msg, after calling at: a panic inside Open at that point, as bbolt's on
// a page it cannot read.
type panicAt struct {
	msg string
	at  func()
}

func (h panicAt) Enabled(context.Context, slog.Level) bool { return true }
func (h panicAt) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.at()
		panic("page 42 out of range")
	}
	return nil
}
func (h panicAt) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicAt) WithGroup(string) slog.Handler      { return h }

// TestOpenPanicReleases: an Open that panics after recovery filled the
// waiting table (reclaiming a killed run's blobs) gives back what it took:
// the table's big buffers, the lock-info file and the file's lock. Before,
// only bbolt was closed: the table's buffers stayed taken for good and the
// lock-info file named a holder that had let go.
func TestOpenPanicReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet, UnfiledBlobs: 1 << 20, BatchObjects: 100})
	if err != nil {
		t.Fatal(err)
	}
	fillChunks(t, db, "x") // a run killed mid-way: its batches are stored, its blobs wait
	db.unfiled.mu.RLock()
	slots, list := db.unfiled.entries.slots, db.unfiled.entries.list
	db.unfiled.mu.RUnlock()
	if len(slots) == 0 || len(list) == 0 {
		t.Fatal("no waiting table: nothing to check")
	}
	bs := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(slots))), bigSize(cap(slots)*4))
	bl := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(list))), bigSize(cap(list)*int(unsafe.Sizeof(filedBlob{}))))
	if err := db.Close(); err != nil { // the run stays running: the next Open recovers it
		t.Fatal(err)
	}
	if !freeHolds(bs) || !freeHolds(bl) {
		t.Fatal("Close did not give the waiting table back")
	}
	// Without the records of the waiting blobs' prefixes (lost, or a
	// file of an earlier format), Open reads the waiting entries back
	// from the blobs' contents into the table, as it fills it.
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bucketWaitPrefixes); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketWaitPrefixes)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	taken := false
	_, err = Open(path, Options{UnfiledBlobs: 1 << 20, Logger: slog.New(panicAt{
		msg: "reclaimed data of interrupted runs",
		at: func() {
			// The buffers given back last are handed out first: the
			// reopened database's table took them.
			taken = !freeHolds(bs) && !freeHolds(bl)
		},
	})})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open that panicked = %v, want ErrCorrupt", err)
	}
	if !taken {
		t.Fatal("the reopened database did not take the waiting table's buffers: nothing to check")
	}
	if !freeHolds(bs) || !freeHolds(bl) {
		t.Error("the failed Open did not give the waiting table's buffers back")
	}
	if _, err := os.Stat(lockInfoPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed Open left its lock-info file: %v", err)
	}
	again, err := Open(path, Options{Logger: quiet, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after the failed one: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}
