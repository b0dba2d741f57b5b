package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestCopyDatabase: `db backup --output` writes a copy that opens with
// the snapshot, readable by the owner only, and never replaces a file:
// one already at the path is refused before writing, and the final
// link into place (durable.LinkNew, tested there) refuses one that
// appeared meanwhile.
func TestCopyDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "enspace-sync.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.Begin("acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "1", []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(snapshot.CommitInfo{FinishedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Config: config.Default(), DB: db})
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "copy.db")
	n, err := svc.CopyDatabase(out)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Size() != n || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v, %v bytes (reported %d), mode %v", err, fi.Size(), n, fi.Mode())
	}
	cp, err := snapshot.Open(out, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := cp.Snapshots("acme")
	cp.Close()
	if err != nil || len(snaps) != 1 || snaps[0].ID != snap.ID {
		t.Errorf("the copy holds %v, %v; want snapshot %s", snaps, err, snap.ID)
	}

	if _, err := svc.CopyDatabase(out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a copy over an existing file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "copy.db.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
