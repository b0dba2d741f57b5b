package offsite

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowPackGets is a Backend whose Gets of data packs take a while, and which
// counts how many run at once.
type slowPackGets struct {
	Backend
	cur, peak atomic.Int32
}

func (s *slowPackGets) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "data/") {
		n := s.cur.Add(1)
		defer s.cur.Add(-1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s.Backend.Get(ctx, name)
}

// TestRestorePreparesAPackAtATimePerProcessor: a restore downloads
// restoreConcurrency packs at once, but decrypts, decompresses and checks
// only runtime.GOMAXPROCS of them at once, so that the first packs the
// import waits for are not slowed down by all the others.
func TestRestorePreparesAPackAtATimePerProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{}
	for d := 1; d <= 6; d++ {
		s := day(fmt.Sprintf("s%d", d), d, 300, 300) // every object new: a data pack each
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	slow := &slowPackGets{Backend: &fileBackend{dir: dir}}
	r, err := Open(ctx, slow, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 6 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	var cur, peak atomic.Int32
	testHookPrepareOpen = func() {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(10 * time.Millisecond)
		cur.Add(-1)
	}
	t.Cleanup(func() { testHookPrepareOpen = nil })
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = rs.Wait(ctx)
	rs.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := peak.Load(); got != 1 {
		t.Errorf("%d packs prepared at once with GOMAXPROCS 1, want 1", got)
	}
	if got := slow.peak.Load(); got < 2 {
		t.Errorf("%d data packs downloaded at once, want several", got)
	}
}
