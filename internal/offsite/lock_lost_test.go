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

// ctxBackend is a Backend whose Delete fails with the context's error
// once it is done, as a network backend's would.
type ctxBackend struct{ Backend }

func (b ctxBackend) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.Backend.Delete(ctx, name)
}

// TestForgetLostLock: a forget whose lock lapsed or was removed while it
// ran fails with ErrLockLost, not the "context canceled" the lock's
// refresh caused (which reads as Ctrl-C).
func TestForgetLostLock(t *testing.T) {
	for _, tc := range []struct {
		name string
		hook func(dir string, skew *atomic.Int64)
	}{
		{"lapsed", func(_ string, skew *atomic.Int64) { skew.Store(int64(DefaultLockExpiry + time.Minute)) }},
		{"removed", func(dir string, _ *atomic.Int64) {
			locks, _ := filepath.Glob(filepath.Join(dir, "locks", "*"))
			for _, l := range locks {
				os.Remove(l)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			if _, err := newFileRepo(t, dir, "a").Push(ctx, &memSource{snaps: []*memSnap{day("s1", 1, 20, 0)}}); err != nil {
				t.Fatal(err)
			}
			opts := testOptions("a")
			opts.LockRefresh = 5 * time.Millisecond
			var skew atomic.Int64
			opts.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			r, err := OpenOrInit(ctx, ctxBackend{&fileBackend{dir: dir}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Forget(ctx, func(string, string) bool {
				tc.hook(dir, &skew)
				time.Sleep(200 * time.Millisecond) // the refresh notices
				return false
			})
			if !errors.Is(err, ErrLockLost) || errors.Is(err, context.Canceled) {
				t.Fatalf("forget = %v, want ErrLockLost", err)
			}
		})
	}
}
