package snapshot

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// BenchmarkTreeStorage is the model of cmd/bench -storage-only that doc.go
// (# Trees) quotes: 100,000 numbered objects in three collections, ten
// daily runs (each a process: open, back up, commit, close) with 1% of
// the objects changed a day, batches of 2,000 as the program writes. It
// reports the last file's bytes (the high-water mark of its pages), the
// pages no bucket uses (free), what the chunks, the chunk index and the
// roots (patches among them) allocate, and the mean time of a daily
// commit (days 2 to 10). Run it with -benchtime 1x.
func BenchmarkTreeStorage(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "storage.db")
		const n = 100_000
		rev := make([]int, n+1)
		rng := rand.New(rand.NewPCG(1, 2))
		types := []string{"contracts", "leads", "tickets"}
		var commits time.Duration
		for day := range 10 {
			if day > 0 {
				for range n / 100 {
					rev[1+rng.IntN(n)]++
				}
			}
			db, err := Open(path, Options{Logger: quiet, BatchObjects: 2000})
			if err != nil {
				b.Fatal(err)
			}
			at := t0.Add(time.Duration(day) * 24 * time.Hour)
			w, err := db.Begin("acme", at)
			if err != nil {
				b.Fatal(err)
			}
			for id := 1; id <= n; id++ {
				if err := w.Put("items", types[id%3], fmt.Sprint(id), item(id, rev[id])); err != nil {
					b.Fatal(err)
				}
			}
			start := time.Now()
			if _, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)}); err != nil {
				b.Fatal(err)
			}
			if day > 0 {
				commits += time.Since(start)
			}
			if day == 9 {
				reportStorage(b, db)
				b.ReportMetric(float64(commits.Milliseconds())/9, "daily-commit-ms")
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func reportStorage(b *testing.B, db *DB) {
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		used := 0
		alloc := func(name []byte) int {
			s := tx.Bucket(name).Stats()
			return s.BranchAlloc + s.LeafAlloc
		}
		err := tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			used += alloc(name)
			return nil
		})
		b.ReportMetric(float64(tx.Size()), "file-bytes")
		b.ReportMetric(float64(int(tx.Size())-used), "free-bytes")
		b.ReportMetric(float64(alloc(bucketChunks)), "chunks-bytes")
		b.ReportMetric(float64(alloc(bucketChunkGroups)), "chunk-index-bytes")
		b.ReportMetric(float64(alloc(bucketRoots)), "roots-bytes")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
