package offsite

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestReadersKeepClearOfPrune: verify and restore refuse to start while
// another process prunes (ErrLocked, naming the prune), without writing
// a lock of their own, and run once it is done.
func TestReadersKeepClearOfPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{snaps: []*memSnap{day("s1", 1, 40, 0)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	pruner := newFileRepo(t, dir, "pruner")
	held, _, err := pruner.acquire(ctx, "prune", true)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(ctx, false); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "prune") {
		t.Errorf("verify during a prune = %v, want ErrLocked naming the prune", err)
	}
	if _, err := r.NewRestorer(ctx, snaps, t.TempDir()); !errors.Is(err, ErrLocked) {
		t.Errorf("restore during a prune = %v, want ErrLocked", err)
	}
	if locks, _ := r.Locks(ctx); len(locks) != 1 {
		t.Errorf("%d locks: a reader wrote one", len(locks))
	}
	held.release()
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify after the prune = %+v, %v", v, err)
	}
	if got := restoreAll(t, r); len(got) != 1 {
		t.Errorf("%d snapshots restored after the prune", len(got))
	}
}
