package offsite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRestoreTreePackMissing: the trees are read in the background, so a
// pack of tree chunks that is gone is reported by the calls that needed
// it and by Wait (not only by NewRestorer, as when the trees were read
// before it returned), and Close returns.
func TestRestoreTreePackMissing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 300, 0)}}); err != nil {
		t.Fatal(err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	gone := 0
	for pack, blobs := range idx.packs {
		if blobs[0].Type == TreeBlob {
			if err := os.Remove(filepath.Join(dir, "data", pack.String())); err != nil {
				t.Fatal(err)
			}
			gone++
		}
	}
	if gone == 0 {
		t.Fatal("no tree pack")
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Objects(ctx, snaps[0], func(string, string, []byte) error { return nil }); !isNotExist(err) {
		t.Errorf("Objects = %v, want the missing pack", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rs.Wait(wctx); !isNotExist(err) {
		t.Errorf("Wait = %v, want the missing pack", err)
	}
	if err := rs.Err(ctx); !isNotExist(err) {
		t.Errorf("Err = %v, want the missing pack", err)
	}
	if err := rs.Close(); err != nil {
		t.Error(err)
	}
}
