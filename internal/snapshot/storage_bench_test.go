package snapshot

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
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
// roots (patches among them) allocate, and the mean wall and CPU time
// of a daily commit and the CPU of a daily run (days 2 to 10). Run it
// with -benchtime 1x.
func BenchmarkTreeStorage(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "storage.db")
		const n = 100_000
		rev := make([]int, n+1)
		rng := rand.New(rand.NewPCG(1, 2))
		types := []string{"contracts", "leads", "tickets"}
		var commits, commitCPU, dayCPU time.Duration
		for day := range 10 {
			dayStart := processCPU(b)
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
			start, startCPU := time.Now(), processCPU(b)
			if _, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)}); err != nil {
				b.Fatal(err)
			}
			if day > 0 {
				commits += time.Since(start)
				commitCPU += processCPU(b) - startCPU
			}
			if day == 9 {
				reportStorage(b, db)
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			if day > 0 {
				dayCPU += processCPU(b) - dayStart
			}
			if day == 9 {
				b.ReportMetric(float64(commits.Milliseconds())/9, "daily-commit-ms")
				b.ReportMetric(float64(commitCPU.Milliseconds())/9, "daily-commit-cpu-ms")
				b.ReportMetric(float64(dayCPU.Milliseconds())/9, "daily-run-cpu-ms")
			}
		}
	}
}

// processCPU returns the CPU time (user and system) the process used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
