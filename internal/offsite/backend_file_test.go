package offsite

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
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
