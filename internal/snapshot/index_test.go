package snapshot

import (
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
)

// TestIndexLevels builds a collection big enough for index nodes and checks
// that reads, diffs, verify and prune see through them.
func TestIndexLevels(t *testing.T) {
	t.Parallel()
	const n, coll = 5000, "items/contracts"
	db := openTest(t)
	db.fullTrees = true // the levels of full trees
	small := snapshotOf(t, db, "acme", 50, same)
	s1 := snapshotOf(t, db, "acme", n, same)
	s2 := snapshotOf(t, db, "acme", n, func(id int) int {
		if id == 2345 {
			return 1
		}
		return 0
	})

	level, top, err := db.loadRoot(s1.Collections[coll].Root)
	if err != nil {
		t.Fatal(err)
	}
	chunks := len(mustRefs(t, db, s1, coll))
	t.Logf("%d objects: %d chunks, root of level %d lists %d", n, chunks, level, len(top))
	if level < 2 || len(top) > maxIndexRefs {
		t.Fatalf("root of level %d with %d children, want level >= 2 and at most %d", level, len(top), maxIndexRefs)
	}
	if l, _, _ := db.loadRoot(small.Collections[coll].Root); l != 1 {
		t.Errorf("root of 50 objects has level %d, want 1", l)
	}

	// Lookup descends every level; Walk sees every key in order.
	for _, tc := range []struct {
		key string
		ok  bool
	}{{"1", true}, {"2345", true}, {"4999", true}, {fmt.Sprint(n), true}, {"0", false}, {fmt.Sprint(n + 1), false}, {"abc", false}} {
		raw, ok, err := db.Lookup(s1, coll, tc.key)
		if err != nil || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v", tc.key, ok, err, tc.ok)
		}
		if ok && string(raw) != string(item(atoi(t, tc.key), 0)) {
			t.Errorf("Lookup(%q) = %.40q", tc.key, raw)
		}
	}
	if keys, _ := walkAll(t, db, s1, coll); len(keys) != n || keys[0] != "1" || keys[n-1] != fmt.Sprint(n) {
		t.Errorf("walk: %d keys", len(keys))
	}

	// One changed object: one chunk and one index node per level read on
	// each side, no more.
	chunkBefore, indexBefore := db.chunkReads.Load(), db.indexReads.Load()
	got := diffAll(t, db, s1, s2, coll)
	chunkReads, indexReads := db.chunkReads.Load()-chunkBefore, db.indexReads.Load()-indexBefore
	if len(got) != 1 || got[0].Key != "2345" {
		t.Errorf("diff = %+v", got)
	}
	if chunkReads != 2 || indexReads != int64(2*(level-1)) {
		t.Errorf("diff read %d chunks and %d index nodes, want 2 and %d", chunkReads, indexReads, 2*(level-1))
	}

	// Trees of different heights.
	if got := diffAll(t, db, small, s1, coll); len(got) != n-50 || got[0].Key != "51" || got[0].Old {
		t.Errorf("diff from 50 to %d objects: %d changes", n, len(got))
	}
	if got := diffAll(t, db, s2, small, coll); len(got) != n-50 || got[0].Key != "51" || got[0].New {
		t.Errorf("diff from %d to 50 objects: %d changes", n, len(got))
	}

	rep, err := db.Verify(true, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify = %v, %v", rep.Problems, err)
	}
	if rep.Chunks <= chunks {
		t.Errorf("verify checked %d chunks and index nodes, want more than the %d chunks", rep.Chunks, chunks)
	}

	// Prune removes the index nodes only a forgotten snapshot used.
	if err := db.Forget(s1.ID); err != nil {
		t.Fatal(err)
	}
	st, err := db.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + (level - 1); st.Chunks != want || st.Roots != 1 {
		t.Errorf("prune removed %d chunks and index nodes, %d roots; want %d and 1", st.Chunks, st.Roots, want)
	}
	if rep, err := db.Verify(false, nil); err != nil || !rep.OK() {
		t.Fatalf("verify after prune = %v, %v", rep.Problems, err)
	}
}

func TestVerifyFindsMissingIndexNode(t *testing.T) {
	t.Parallel()
	const coll = "items/contracts"
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 12_000, same)
	level, top, err := db.collectionTree(s, coll)
	if err != nil || level < 1 {
		t.Fatalf("tree of level %d, %v; want index nodes", level, err)
	}
	victim := top[len(top)/2]
	var saved []byte
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		saved = append([]byte(nil), tx.Bucket(bucketChunks).Get(idKey(victim.id))...)
		return tx.Bucket(bucketChunks).Delete(idKey(victim.id))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("index node %d is missing", victim.id); len(rep.Problems) != 1 || rep.Problems[0].Err != want {
		t.Errorf("problems = %v, want %q", rep.Problems, want)
	}
	if _, err := db.Prune(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("prune of a damaged database = %v, want ErrCorrupt", err)
	}
	key, err := keyText(victim.first)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Lookup(s, coll, key); !errors.Is(err, ErrCorrupt) {
		t.Errorf("lookup under a missing index node = %v, want ErrCorrupt", err)
	}
	if err := db.DiffCollection(nil, s, coll, func(string, Hash, Hash) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("diff over a missing index node = %v, want ErrCorrupt", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketChunks).Put(idKey(victim.id), saved) }); err != nil {
		t.Fatal(err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
