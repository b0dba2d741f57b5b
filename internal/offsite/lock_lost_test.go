package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// hookSource runs hook on the first Walk, in the middle of a push.
type hookSource struct {
	memSource
	once atomic.Bool
	hook func()
}

func (h *hookSource) Walk(l Local, c string, fn func(string, ID) error) error {
	if h.once.CompareAndSwap(false, true) {
		h.hook()
	}
	return h.memSource.Walk(l, c, fn)
}

// TestPushLostLock: a push whose lock lapsed (the process stood still
// for longer than the expiry) or whose lock object was removed fails
// with ErrLockLost (also when the refresh noticed first and cancelled
// the work) and publishes no index and no snapshot record.
func TestPushLostLock(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refresh time.Duration
		hook    func(dir string, skew *atomic.Int64)
	}{
		{"refresh notices", 5 * time.Millisecond, func(_ string, skew *atomic.Int64) {
			skew.Store(int64(DefaultLockExpiry + time.Minute))
			time.Sleep(200 * time.Millisecond) // the refresh sees the lapse first
		}},
		{"suspended", 0, func(_ string, skew *atomic.Int64) { skew.Store(int64(DefaultLockExpiry + time.Minute)) }},
		{"removed", 0, func(dir string, _ *atomic.Int64) {
			locks, _ := filepath.Glob(filepath.Join(dir, "locks", "*"))
			for _, l := range locks {
				os.Remove(l)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			r := newFileRepo(t, dir, "a")
			r.opts.LockRefresh = tc.refresh
			if tc.refresh == 0 {
				r.opts.LockRefresh = DefaultLockRefresh
			}
			var skew atomic.Int64
			r.opts.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			src := &hookSource{memSource: memSource{snaps: []*memSnap{day("s1", 1, 200, 0)}}}
			src.hook = func() { tc.hook(dir, &skew) }
			_, err := r.Push(ctx, src)
			if !errors.Is(err, ErrLockLost) {
				t.Fatalf("push = %v, want ErrLockLost", err)
			}
			for _, sub := range []string{"index", "snapshots"} {
				if got, _ := filepath.Glob(filepath.Join(dir, sub, "*")); len(got) != 0 {
					t.Errorf("%s/ holds %d objects after a lost lock", sub, len(got))
				}
			}
		})
	}
}
