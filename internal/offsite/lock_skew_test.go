package offsite

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLockSkewedHolder: a lock written by a holder whose clock is an
// hour behind is live by the target's time: prune is ErrLocked.
func TestLockSkewedHolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	behind := newFileRepo(t, dir, "behind")
	behind.opts.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	h, _, err := behind.acquire(ctx, "push", false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	r := newFileRepo(t, dir, "a")
	locks, err := r.Locks(ctx)
	if err != nil || len(locks) != 1 || locks[0].Stale {
		t.Fatalf("locks = %+v, %v", locks, err)
	}
	if _, err := r.Prune(ctx); !errors.Is(err, ErrLocked) {
		t.Errorf("prune under a skewed live lock = %v, want ErrLocked", err)
	}
}
