package offsite

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestPruneKeepsCopyOfMissingPick: a blob stored in two packs whose
// index pick is missing from data/ keeps its other copy through prune,
// and the snapshot still restores.
func TestPruneKeepsCopyOfMissingPick(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{snaps: []*memSnap{day("s1", 1, 300, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	// Upload every blob a second time, into packs of their own.
	locals, _ := src.Snapshots()
	p := newPusher(r, ctx, newIndex(), src, &PushReport{})
	if _, err := p.snapshot(locals[0], nil, nil); err != nil {
		t.Fatal(err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, blobs := range idx.packs {
		for _, b := range blobs {
			loc, _ := idx.lookup(b.Ref)
			if b.Type != DataBlob {
				continue
			}
			err := os.Remove(filepath.Join(dir, "data", loc.pack.String()))
			if err == nil {
				removed++
			}
		}
	}
	if removed == 0 {
		t.Fatal("no picked data pack removed")
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/s1"], want(src.snaps[0])) {
		t.Errorf("after prune s1 does not restore: %d snapshots", len(got))
	}
}
