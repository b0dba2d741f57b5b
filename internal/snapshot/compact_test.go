package snapshot

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCompactShrinksAndKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	old := snapshotOf(t, db, "acme", 3000, same)
	keep := snapshotOf(t, db, "acme", 3000, func(id int) int { return 1 })
	if err := db.Forget(old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	st, err := db.CompactAndClose()
	if err != nil {
		t.Fatal(err)
	}
	if st.After >= st.Before {
		t.Errorf("compaction went from %d to %d bytes, want smaller", st.Before, st.After)
	}
	if st.InUse <= 0 || st.InUse > st.After {
		t.Errorf("the new file's pages take %d bytes of its %d", st.InUse, st.After)
	}
	if leftovers, _ := filepath.Glob(path + ".compact-*"); len(leftovers) != 0 {
		t.Errorf("left behind: %v", leftovers)
	}
	checkFile(t, path)
	db, err = Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snaps, err := db.Snapshots("acme")
	if err != nil || len(snaps) != 1 || snaps[0].ID != keep.ID {
		t.Fatalf("snapshots after compaction: %v %v, want only %s", snaps, err, keep.ID)
	}
	if keys, _ := walkAll(t, db, snaps[0], "items/contracts"); len(keys) != 3000 {
		t.Errorf("%d objects after compaction, want 3000", len(keys))
	}
}

// An opener that waits for the lock while a compaction swaps the file in
// must end up with the new file, not the old one it first opened.
func TestOpenWaitingThroughACompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 10, same)
	opened := make(chan *DB, 1)
	errs := make(chan error, 1)
	go func() {
		w, err := Open(path, Options{Logger: quiet, Timeout: 10 * time.Second})
		if err != nil {
			errs <- err
			return
		}
		opened <- w
	}()
	time.Sleep(200 * time.Millisecond) // the opener has the old file and waits for its lock
	if _, err := db.CompactAndClose(); err != nil {
		t.Fatal(err)
	}
	var w *DB
	select {
	case w = <-opened:
	case err := <-errs:
		t.Fatal(err)
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting opener never got the lock")
	}
	second := snapshotOf(t, w, "acme", 10, func(int) int { return 2 })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snaps, _ := db.Snapshots("acme")
	found := false
	for _, s := range snaps {
		found = found || s.ID == second.ID
	}
	if len(snaps) != 2 || !found {
		t.Errorf("the file at the path holds %d snapshots (the one written after the compaction: %v), want 2 with it", len(snaps), found)
	}
}

// TestOpenRemovesStaleCompactions: a copy left by a killed compaction is
// removed by the next read-write open, and left alone by a read-only one.
func TestOpenRemovesStaleCompactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	stale := path + ".compact-1234"
	if err := os.WriteFile(stale, []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = ro.Close()
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("a read-only open removed %s: %v", stale, err)
	}
	rw, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	_ = rw.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a read-write open: %v", stale, err)
	}
}
