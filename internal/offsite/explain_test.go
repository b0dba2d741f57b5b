package offsite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// locksDown is a Backend whose listing of locks/ fails while down is set.
type locksDown struct {
	Backend
	down atomic.Bool
}

func (f *locksDown) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if f.down.Load() && strings.HasPrefix(prefix, "locks/") {
		return errors.New("dial tcp: connection refused")
	}
	return f.Backend.List(ctx, prefix, fn)
}

// TestExplainOnlyWhatAPruneCanCause: an import's error is explained by a
// prune only when a live prune lock is there and the error is one the
// target's contents cause (something missing or damaged); a local error
// (a full disk) or a failed listing of locks/ adds no prune hint (which
// would also turn the exit status into "locked").
func TestExplainOnlyWhatAPruneCanCause(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 30, 0)}}); err != nil {
		t.Fatal(err)
	}
	b := &locksDown{Backend: &fileBackend{dir: dir}}
	rp, err := Open(ctx, b, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := rp.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rp.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	missing := fmt.Errorf("data/abc: %w", ErrNotExist)
	full := fmt.Errorf("write db: %w", syscall.ENOSPC)

	b.down.Store(true)
	if got := rs.Explain(ctx, missing); got != missing {
		t.Errorf("locks/ not listed: Explain = %v, want the error as it is", got)
	}
	b.down.Store(false)
	hl, _, err := r.acquire(ctx, "prune", true)
	if err != nil {
		t.Fatal(err)
	}
	defer hl.release()
	if got := rs.Explain(ctx, full); got != full {
		t.Errorf("a full disk beside a prune: Explain = %v, want the error as it is", got)
	}
	if got := rs.Explain(ctx, missing); !errors.Is(got, ErrLocked) || !errors.Is(got, ErrNotExist) {
		t.Errorf("a missing pack beside a prune: Explain = %v, want it to name the prune", got)
	}
}
