package offsite

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// chainDay is day d of a collection of 200 items where 5 items change a
// day, one is removed and one added.
func chainDay(d int) *memSnap {
	s := day(fmt.Sprintf("c%02d", d), 1, 200, 0)
	s.id, s.at = fmt.Sprintf("c%02d", d), time.Date(2026, 2, 1, d, 0, 0, 0, time.UTC)
	items := s.colls["items/clients-slug"]
	for i := 0; i < 5; i++ {
		k := fmt.Sprint((d*5 + i) % 200)
		items[k] = []byte(fmt.Sprintf(`{"id":%s,"rev":%d}`, k, d))
	}
	delete(items, fmt.Sprint(d%200))
	items[fmt.Sprintf("new-%02d", d)] = []byte(fmt.Sprintf(`{"added":%d}`, d))
	return s
}

// TestDeltaChain: pushes of small changes are deltas against the
// previous push, a chain of maxDeltas starts a full tree again, and every
// snapshot restores exactly, also after its base was forgotten and
// pruned and after the base's local snapshot is gone.
func TestDeltaChain(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{}
	const days = maxDeltas + 6
	for d := 1; d <= days; d++ {
		src.snaps = append(src.snaps, chainDay(d))
		if d%3 == 0 || d == days { // several snapshots in some pushes
			if _, err := r.Push(ctx, src); err != nil {
				t.Fatal(err)
			}
		}
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var depths []int
	for _, s := range snaps {
		depths = append(depths, s.Collections["items/clients-slug"].Depth)
	}
	wantDepths := []int{0}
	for d := 1; d < days; d++ {
		wantDepths = append(wantDepths, d%(maxDeltas+1))
	}
	if !reflect.DeepEqual(depths, wantDepths) {
		t.Errorf("depths = %v, want %v", depths, wantDepths)
	}
	check := func(step string, from int) {
		t.Helper()
		got := restoreAll(t, r)
		if len(got) != days-from {
			t.Fatalf("%s: %d snapshots", step, len(got))
		}
		for _, s := range src.snaps[from:] {
			if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
				t.Errorf("%s: %s restores other objects", step, s.id)
			}
			if n := snapCount(t, r, s.id); n != len(s.colls["items/clients-slug"]) {
				t.Errorf("%s: %s counts %d items, has %d", step, s.id, n, len(s.colls["items/clients-slug"]))
			}
		}
		if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
			t.Errorf("%s: verify = %+v, %v", step, v.Problems, err)
		}
	}
	check("pushed", 0)
	// Forget the first 10 (the full tree the next deltas build on among
	// them), locally and on the target, and prune.
	src.snaps = src.snaps[10:]
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id >= "c11" }); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	all := src.snaps
	got := restoreAll(t, r)
	for _, s := range all {
		if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
			t.Errorf("after prune: %s restores other objects", s.id)
		}
	}
	// The local snapshots of the target's latest are gone: the next push
	// is a full tree.
	src.snaps = []*memSnap{chainDay(days + 1)}
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Pushed) != 1 {
		t.Fatalf("push = %+v, %v", rep, err)
	}
	snaps, _ = r.Snapshots(ctx)
	if last := snaps[len(snaps)-1]; last.Collections["items/clients-slug"].Depth != 0 {
		t.Errorf("push without a local base: depth %d", last.Collections["items/clients-slug"].Depth)
	}
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/"+src.snaps[0].id], want(src.snaps[0])) {
		t.Error("the full tree after the chain restores other objects")
	}
}

// snapCount returns the item count the record of snapshot id states.
func snapCount(t *testing.T, r *Repo, id string) int {
	t.Helper()
	snaps, err := r.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		if s.LocalID == id {
			return s.Collections["items/clients-slug"].Count
		}
	}
	return -1
}

// TestRestorerChanges: Changes gives a delta's changes against the tree
// it was pushed on, which turn that snapshot's entries into the next
// one's, and reports false for a full tree or another base.
func TestRestorerChanges(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	const coll = "items/clients-slug"
	entries := func(s *Snapshot) map[string]ID {
		out := map[string]ID{}
		if err := rs.CollectionEntries(ctx, s, coll, func(k string, id ID) error { out[k] = id; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := entries(snaps[0])
	n := 0
	ok, err := rs.Changes(ctx, snaps[1], coll, snaps[0].Collections[coll].Root, func(k string, id ID, removed bool) error {
		n++
		if removed {
			delete(got, k)
		} else {
			got[k] = id
		}
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("changes of a delta = %v, %v", ok, err)
	}
	if want := entries(snaps[1]); n == 0 || n >= len(want) || !reflect.DeepEqual(got, want) {
		t.Errorf("%d changes applied give %d entries, the snapshot has %d", n, len(got), len(want))
	}
	for _, c := range []struct {
		s    *Snapshot
		base ID
	}{{snaps[0], snaps[0].Collections[coll].Root}, {snaps[1], snaps[1].Collections[coll].Root}} {
		ok, err := rs.Changes(ctx, c.s, coll, c.base, func(string, ID, bool) error {
			t.Error("a change of no delta")
			return nil
		})
		if ok || err != nil {
			t.Errorf("changes of a full tree or on another base = %v, %v", ok, err)
		}
	}
}
