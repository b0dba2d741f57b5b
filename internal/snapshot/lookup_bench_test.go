package snapshot

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkLookupPatched: Lookup in a collection of 100,000 objects
// stored as a patch of 11,111 entries over a full tree, and, for
// comparison, stored as a full tree.
func BenchmarkLookupPatched(b *testing.B) {
	const coll, n = "items/contracts", 100_000
	for _, tc := range []struct {
		name string
		full bool
	}{{"patch", false}, {"full", true}} {
		b.Run(tc.name, func(b *testing.B) {
			db := openTest(b)
			db.fullTrees = tc.full
			bsnap(b, db, t0, n, same)
			s2 := bsnap(b, db, t0.Add(time.Hour), n, func(id int) int { return 1 - min(id%9, 1) })
			if got := isPatch(rootRecord(b, db, s2, coll)); got == tc.full {
				b.Fatalf("patch: %v", got)
			}
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = fmt.Sprint(1 + i*97%n)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok, err := db.Lookup(s2, coll, keys[i%len(keys)]); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// bsnap commits one snapshot of workspace acme, n objects of revision
// rev(id), started at at.
func bsnap(b *testing.B, db *DB, at time.Time, n int, rev func(id int) int) *Snapshot {
	b.Helper()
	w, err := db.Begin("acme", at)
	if err != nil {
		b.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, rev(id))); err != nil {
			b.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
