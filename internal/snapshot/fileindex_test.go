package snapshot

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestFileBlobIndex: with a limit no run reaches (as restore-db opens its
// database), the new blobs' index entries wait; FileBlobIndex files them
// all, raises the watermark to the last blob, and a later run finds every
// blob through the index (it stores nothing again). A read-only database
// refuses it.
func TestFileBlobIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet, UnfiledBlobs: 1 << 20, BatchObjects: 500})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	put := func(ws string) *Snapshot {
		t.Helper()
		w, err := db.Begin(ws, t0)
		if err != nil {
			t.Fatal(err)
		}
		for id := 1; id <= n; id++ {
			if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.Commit(CommitInfo{FinishedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	put("acme")
	waiting := func() int {
		db.unfiled.mu.RLock()
		defer db.unfiled.mu.RUnlock()
		return db.unfiled.entries.len() + len(db.unfiled.prefixed)
	}
	if got := waiting(); got != n {
		t.Fatalf("%d entries wait after the run, want %d", got, n)
	}
	if err := db.FileBlobIndex(); err != nil {
		t.Fatal(err)
	}
	if got := waiting(); got != 0 {
		t.Fatalf("%d entries still wait after FileBlobIndex", got)
	}
	var seq uint64
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		seq = tx.Bucket(bucketBlobs).Sequence()
		w, ok, err := filedThrough(tx)
		if err != nil || !ok || w != seq {
			t.Errorf("watermark %d (%v, %v), want %d, the last blob id", w, ok, err, seq)
		}
		for id := 1; id <= n; id++ {
			h, err := ContentHash(item(id, 0))
			if err != nil {
				return err
			}
			if storedID(tx, db.unfiled, h) == 0 {
				t.Errorf("object %d: its blob is not in the index", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seq != n {
		t.Fatalf("%d blobs stored, want %d", seq, n)
	}
	put("other") // the same objects: found filed, none stored again
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		if got := tx.Bucket(bucketBlobs).Sequence(); got != seq {
			t.Errorf("a second run of the same objects stored %d blobs more", got-seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	ro, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.FileBlobIndex(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("FileBlobIndex on a read-only database: %v, want ErrReadOnly", err)
	}
}

// TestFileBlobIndexKilledReopenedSmaller: a database left with more
// entries waiting than the next opener's limit (written with restore-db's
// larger one), some of them already in the index (a FileBlobIndex killed
// after its first transactions: the watermark not raised), opens with a
// smaller limit, reads every entry back, finds every blob again (stores
// none twice), files them all at its first batch without an index entry
// twice, and verifies.
func TestFileBlobIndexKilledReopenedSmaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet, UnfiledBlobs: 1 << 20, BatchObjects: 500})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// The first transactions of a FileBlobIndex, then the kill.
	all := db.unfiled.waiting()
	half := append([]filedBlob(nil), all[:len(all)/2]...)
	bigSliceFree(all)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return fileBlobEntries(tx, half) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	db, err = Open(path, Options{Logger: quiet, UnfiledBlobs: 1000, BatchObjects: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		checkFile(t, path)
	}()
	w, err = db.Begin("acme", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != n || i != n {
		t.Errorf("after a run of the same objects: %d blobs, %d index entries; want %d and %d", b, i, n, n)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		wm, ok, err := filedThrough(tx)
		if seq := tx.Bucket(bucketBlobs).Sequence(); err != nil || !ok || wm != seq {
			t.Errorf("watermark %d (%v, %v), want %d", wm, ok, err, seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestWaitTableRoomByLimit: the table of waiting entries is made once with room
// for its limit and a quarter more: a backup's (the default limit) as
// before restore-db's larger limit, 81,920 entries; restore-db's 327,680.
func TestWaitTableRoomByLimit(t *testing.T) {
	for _, c := range []struct {
		limit, slots, room int
	}{{0, 1 << 18, 81_920}, {1 << 18, 1 << 20, 327_680}} {
		db := openTestOpts(t, Options{UnfiledBlobs: c.limit})
		commitOneCopy(t, db)
		db.unfiled.mu.RLock()
		slots, list := len(db.unfiled.entries.slots), cap(db.unfiled.entries.list)
		db.unfiled.mu.RUnlock()
		if want := bigSize(c.room*40) / 40; slots != c.slots || list != want {
			t.Errorf("limit %d: %d slots, room for %d entries; want %d and %d", c.limit, slots, list, c.slots, want)
		}
	}
}
