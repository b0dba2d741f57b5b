package snapshot

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type change struct {
	Key       string
	Old, New  bool // present on that side
	Different bool
}

func diffAll(t *testing.T, db *DB, a, b *Snapshot, coll string) []change {
	t.Helper()
	var out []change
	err := db.DiffCollection(a, b, coll, func(k string, old, new Hash) error {
		out = append(out, change{Key: k, Old: !old.IsZero(), New: !new.IsZero(), Different: old != new})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// commitItems commits the items of ids with the given revisions.
func commitItems(t *testing.T, db *DB, ids map[int]int) *Snapshot {
	t.Helper()
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id, rev := range ids {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, rev)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDiffCollection(t *testing.T) {
	t.Parallel()
	const n = 3000
	db := openTest(t)
	db.fullTrees = true // diffs of full trees; patches: TestPatchModel
	base := map[int]int{}
	for id := 1; id <= n; id++ {
		base[id] = 0
	}
	next := map[int]int{}
	for id, rev := range base {
		next[id] = rev
	}
	next[7] = 1        // changed
	delete(next, 1500) // removed
	next[n+5] = 0      // added at the end
	next[2999] = 2     // changed
	delete(next, 1)    // removed at the start
	a := commitItems(t, db, base)
	b := commitItems(t, db, next)
	coll := "items/contracts"

	before := db.chunkReads.Load()
	got := diffAll(t, db, a, b, coll)
	reads := db.chunkReads.Load() - before
	want := []change{
		{Key: "1", Old: true, Different: true},
		{Key: "7", Old: true, New: true, Different: true},
		{Key: "1500", Old: true, Different: true},
		{Key: "2999", Old: true, New: true, Different: true},
		{Key: "3005", New: true, Different: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	chunks := len(mustRefs(t, db, a, coll))
	t.Logf("%d changes over %d chunks: %d chunk reads", len(want), chunks, reads)
	if reads > 2*int64(len(want)) {
		t.Errorf("diff read %d chunks of %d, want at most %d", reads, chunks, 2*len(want))
	}

	// Reversed, the same keys with the sides swapped.
	rev := diffAll(t, db, b, a, coll)
	if len(rev) != len(want) || rev[0].Key != "1" || rev[0].Old || !rev[0].New {
		t.Errorf("reversed diff = %+v", rev)
	}

	// Equal roots cost nothing.
	before = db.chunkReads.Load()
	if got := diffAll(t, db, a, a, coll); len(got) != 0 {
		t.Errorf("self diff = %v", got)
	}
	if r := db.chunkReads.Load() - before; r != 0 {
		t.Errorf("self diff read %d chunks", r)
	}

	// From nothing, and to an absent collection: every key.
	if got := diffAll(t, db, nil, a, coll); len(got) != n || !got[0].New || got[0].Old {
		t.Errorf("diff from nil: %d changes", len(got))
	}
	if got := diffAll(t, db, a, b, "types"); len(got) != 0 {
		t.Errorf("diff of a collection absent on both sides = %v", got)
	}
	if got := diffAll(t, db, a, &Snapshot{}, coll); len(got) != n || !got[0].Old || got[0].New {
		t.Errorf("diff to empty: %d changes", len(got))
	}

	// One changed object: one chunk read on each side.
	base[1234] = 3
	c := commitItems(t, db, base)
	before = db.chunkReads.Load()
	got = diffAll(t, db, a, c, coll)
	if reads := db.chunkReads.Load() - before; reads != 2 {
		t.Errorf("single change: diff read %d chunks of %d, want 2", reads, chunks)
	}
	if len(got) != 1 || got[0].Key != "1234" {
		t.Errorf("single change: diff = %+v", got)
	}
}

func mustRefs(t *testing.T, db *DB, s *Snapshot, coll string) []chunkRef {
	t.Helper()
	refs, err := db.collectionRefs(s, coll)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}
