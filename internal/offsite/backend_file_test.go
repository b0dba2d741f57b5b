package offsite

import (
	"context"
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
