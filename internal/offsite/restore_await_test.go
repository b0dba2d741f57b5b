package offsite

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestRestoreWalkAheadOfDiscover: a walk of the first snapshot that
// reaches a chunk discover has not read yet waits for discover to read
// it, not for every tree of every snapshot to be read: discover is held
// after a few chunks until a look-up waits for it (or 5 s), and the walk
// must then go on and give every object, as it does once discover is
// done.
func TestRestoreWalkAheadOfDiscover(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{}
	for d := 1; d <= 2; d++ {
		s := day(fmt.Sprintf("s%d", d), d, 2000, 30)
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	want := map[string]string{}
	done, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer done.Close()
	if err := done.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	s := snaps[0]
	names := slices.Sorted(maps.Keys(s.Collections))
	for _, name := range names {
		if err := done.CollectionObjects(ctx, s, name, func(key string, id ID, raw []byte) error {
			want[name+"/"+key] = id.String() + string(raw)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	waiting := make(chan struct{})
	var once sync.Once
	timedOut := false
	testHookAwait = func() { once.Do(func() { close(waiting) }) }
	testHookDiscoverRead = func(n int) {
		if n != 4 {
			return
		}
		select {
		case <-waiting:
		case <-time.After(5 * time.Second):
			timedOut = true
		}
	}
	t.Cleanup(func() { testHookAwait, testHookDiscoverRead = nil, nil })
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]string{}
	for _, name := range names {
		if err := rs.CollectionObjects(ctx, s, name, func(key string, id ID, raw []byte) error {
			got[name+"/"+key] = id.String() + string(raw)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if timedOut {
		t.Error("the walk waited for discover to read every tree")
	}
	if len(got) != len(want) || len(want) < 2000 {
		t.Fatalf("%d objects, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s differs", k)
		}
	}
}
