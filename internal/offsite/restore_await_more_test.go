package offsite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// pushDays pushes days days of n objects to a new file repository.
func pushDays(t *testing.T, days, n, churn int) (*Repo, []*Snapshot) {
	t.Helper()
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{}
	for d := 1; d <= days; d++ {
		s := day(fmt.Sprintf("s%d", d), d, n, churn)
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != days {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	return r, snaps
}

// objectsOf gives every object of s through CollectionObjects (first) or
// CollectionEntries and Raw.
func objectsOf(ctx context.Context, rs *Restorer, s *Snapshot, entries bool) (map[string]string, error) {
	got := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(s.Collections)) {
		var err error
		if entries {
			err = rs.CollectionEntries(ctx, s, name, func(key string, id ID) error {
				raw, err := rs.Raw(id)
				got[name+"/"+key] = id.String() + string(raw)
				return err
			})
		} else {
			err = rs.CollectionObjects(ctx, s, name, func(key string, id ID, raw []byte) error {
				got[name+"/"+key] = id.String() + string(raw)
				return nil
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return got, nil
}

// TestRestoreWalksRaceDiscover: walks of every snapshot at once, ahead
// of a discover slowed at random, give what they give once discover is
// done.
func TestRestoreWalksRaceDiscover(t *testing.T) {
	ctx := context.Background()
	r, snaps := pushDays(t, 3, 3000, 700)
	done, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer done.Close()
	if err := done.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	want := make([]map[string]string, len(snaps))
	for i, s := range snaps {
		if want[i], err = objectsOf(ctx, done, s, false); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookDiscoverRead = nil })
	for round := range 2 {
		var mu sync.Mutex
		testHookDiscoverRead = func(n int) {
			mu.Lock()
			d := time.Duration(rand.IntN(300)) * time.Microsecond
			mu.Unlock()
			time.Sleep(d)
		}
		rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i, s := range snaps {
			for _, entries := range []bool{false, true} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := objectsOf(ctx, rs, s, entries)
					if err != nil {
						t.Errorf("round %d, snapshot %d: %v", round, i, err)
						return
					}
					if !maps.Equal(got, want[i]) {
						t.Errorf("round %d, snapshot %d (entries %v): %d objects differ from %d", round, i, entries, len(got), len(want[i]))
					}
				}()
			}
		}
		wg.Wait()
		if err := rs.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		rs.Close()
		testHookDiscoverRead = nil
	}
}

// TestRestoreCloseWakesWaiter: a walk waiting for discover (held)
// returns, with an error, once the Restorer is closed.
func TestRestoreCloseWakesWaiter(t *testing.T) {
	ctx := context.Background()
	r, snaps := pushDays(t, 2, 2000, 30)
	waiting := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	testHookAwait = func() { once.Do(func() { close(waiting) }) }
	testHookDiscoverRead = func(n int) {
		if n == 2 {
			<-release
		}
	}
	t.Cleanup(func() { testHookAwait, testHookDiscoverRead = nil, nil })
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := objectsOf(ctx, rs, snaps[0], false)
		errc <- err
	}()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("no look-up waited")
	}
	closed := make(chan struct{})
	go func() { rs.Close(); close(closed) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	select {
	case err := <-errc:
		if err == nil {
			// It may have finished: every object was still found.
			t.Log("the walk finished")
		} else if !errors.Is(err, context.Canceled) {
			t.Logf("walk: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the walk still waits after Close")
	}
	<-closed
}
