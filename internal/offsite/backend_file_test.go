package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestFileBackendSyncsDirs: a Put that creates directories fsyncs the
// parent of each one and the object's directory; a Delete fsyncs the
// directory it removed from.
func TestFileBackendSyncsDirs(t *testing.T) {
	var synced []string
	old := syncDir
	syncDir = func(dir string) error { synced = append(synced, dir); return old(dir) }
	t.Cleanup(func() { syncDir = old })
	root := filepath.Join(t.TempDir(), "target")
	b := &fileBackend{dir: root}
	ctx := context.Background()
	if err := b.Put(ctx, "data/ab", []byte("x")); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Dir(root), root, filepath.Join(root, "data")}
	if !reflect.DeepEqual(synced, want) {
		t.Errorf("put synced %q, want %q", synced, want)
	}
	synced = nil
	if err := b.Delete(ctx, "data/ab"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "data/ab"); err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(root, "data")}; !reflect.DeepEqual(synced, want) {
		t.Errorf("delete synced %q, want %q", synced, want)
	}
}

// checkCreate: Create stores an absent object and refuses, with
// ErrExist, to replace one that is there.
func checkCreate(t *testing.T, b Backend) {
	t.Helper()
	ctx := context.Background()
	if err := b.Create(ctx, "keys/first", []byte("one")); err != nil {
		t.Fatalf("create = %v", err)
	}
	if err := b.Create(ctx, "keys/first", []byte("two")); !errors.Is(err, ErrExist) {
		t.Errorf("second create = %v, want ErrExist", err)
	}
	if got, err := b.Get(ctx, "keys/first"); err != nil || string(got) != "one" {
		t.Errorf("after two creates the object holds %q, %v; want the first", got, err)
	}
	if err := b.Delete(ctx, "keys/first"); err != nil {
		t.Fatal(err)
	}
}

func TestFileBackendCreate(t *testing.T) {
	checkCreate(t, &fileBackend{dir: t.TempDir()})
}

// TestPruneRemovesTempFilesOfKilledWrites: a write killed between its
// temporary file and the rename leaves a .tmp-* file that no listing
// shows; prune removes it once it is older than the safety window, and
// leaves a younger one (a write that may still be running).
func TestPruneRemovesTempFilesOfKilledWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 100, 0)}}); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "data", ".tmp-123")
	young := filepath.Join(dir, "index", ".tmp-456")
	for _, p := range []string{old, young} {
		if err := os.WriteFile(p, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * DefaultPruneWindow)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempFiles != 1 || rep.FreedBytes < 1000 {
		t.Errorf("prune = %+v, want 1 temporary file and its 1000 bytes freed", rep)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old temporary file: %v, want it gone", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young temporary file: %v, want it kept", err)
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v, err)
	}
}
