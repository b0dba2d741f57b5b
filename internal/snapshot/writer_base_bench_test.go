package snapshot

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCommitFrom commits a snapshot of 100,000 objects of which 1%
// changed since the last one, two ways: full puts every object (Begin,
// Put, Commit), as a backup does; based puts the 1,000 changed objects on
// the last snapshot (BeginFrom), as restore-db does. Each iteration
// commits one snapshot on the same base; the changed objects' blobs are
// stored by the first iteration.
//
//	go test ./internal/snapshot -run '^$' -bench CommitFrom -benchtime 5x
func BenchmarkCommitFrom(b *testing.B) {
	for _, based := range []bool{false, true} {
		name := "full"
		if based {
			name = "based"
		}
		b.Run(name, func(b *testing.B) {
			db := benchDB(b)
			objs := benchItems()
			w, err := db.Begin("acme", t0)
			if err != nil {
				b.Fatal(err)
			}
			for i, raw := range objs {
				if err := w.Put("items", "contracts", fmt.Sprint(i+1), raw); err != nil {
					b.Fatal(err)
				}
			}
			base, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
			if err != nil {
				b.Fatal(err)
			}
			changed := map[int][]byte{}
			for i := 1; i <= len(objs); i += 100 {
				changed[i] = item(i, 1)
			}
			b.ResetTimer()
			for range b.N {
				var w *Writer
				var err error
				if based {
					w, err = db.BeginFrom(base, t0)
				} else {
					w, err = db.Begin("acme", t0)
				}
				if err != nil {
					b.Fatal(err)
				}
				for i, raw := range objs {
					if c, ok := changed[i+1]; ok {
						raw = c
					} else if based {
						continue
					}
					if err := w.Put("items", "contracts", fmt.Sprint(i+1), raw); err != nil {
						b.Fatal(err)
					}
				}
				s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
				if err != nil {
					b.Fatal(err)
				}
				if s.Objects != len(objs) {
					b.Fatalf("%d objects", s.Objects)
				}
			}
		})
	}
}
