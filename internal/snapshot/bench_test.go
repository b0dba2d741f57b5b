package snapshot

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"
)

const benchObjects = 100_000

// benchItems prepares the objects once: generating them is not the store's cost.
var benchItems = sync.OnceValue(func() [][]byte {
	out := make([][]byte, benchObjects)
	for i := range out {
		out[i] = item(i+1, 0)
	}
	return out
})

func benchDB(b *testing.B) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

func reportThroughput(b *testing.B, objs [][]byte, elapsed time.Duration) {
	var size int
	for _, o := range objs {
		size += len(o)
	}
	per := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(float64(len(objs))/per, "objects/s")
	b.ReportMetric(float64(size)/per/1e6, "MB/s")
	b.ReportMetric(float64(size)/float64(len(objs)), "bytes/object")
}

// BenchmarkPut puts 100,000 objects of about 400 bytes from one goroutine
// into a fresh database per iteration (the final flush included, Commit not).
func BenchmarkPut(b *testing.B) { benchPut(b, 1, false) }

// BenchmarkPutParallel is BenchmarkPut from 4 goroutines, as a backup with
// parallel pagers does.
func BenchmarkPutParallel(b *testing.B) { benchPut(b, 4, false) }

// BenchmarkPutUnchanged puts the same 100,000 objects into a database that
// already holds them, the usual case of a nightly backup.
func BenchmarkPutUnchanged(b *testing.B) { benchPut(b, 1, true) }

func benchPut(b *testing.B, workers int, seeded bool) {
	objs := benchItems()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		db := benchDB(b)
		if seeded {
			w, err := db.Begin("acme", t0)
			if err != nil {
				b.Fatal(err)
			}
			for i, o := range objs {
				if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
				b.Fatal(err)
			}
		}
		w, err := db.Begin("acme", t0)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				for i := g; i < len(objs); i += workers {
					if err := w.Put("items", "contracts", fmt.Sprint(i+1), objs[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		w.mu.Lock()
		w.db.gc.RLock()
		err = w.flushLocked()
		w.db.gc.RUnlock()
		w.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	reportThroughput(b, objs, total)
}

// BenchmarkCommit measures Commit of a run of 100,000 objects: building the
// trees from the pending entries and writing the record. The first variant
// stores new chunks; the unchanged one finds them all present.
func BenchmarkCommit(b *testing.B) {
	for _, unchanged := range []bool{false, true} {
		b.Run(fmt.Sprintf("unchanged=%v", unchanged), func(b *testing.B) {
			objs := benchItems()
			var added int64
			for range b.N {
				b.StopTimer()
				db := benchDB(b)
				runs := 1
				if unchanged {
					runs = 2
				}
				for r := range runs {
					w, err := db.Begin("acme", t0)
					if err != nil {
						b.Fatal(err)
					}
					for i, o := range objs {
						if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
							b.Fatal(err)
						}
					}
					if r == runs-1 {
						b.StartTimer()
					}
					s, err := w.Commit(CommitInfo{FinishedAt: t0})
					if err != nil {
						b.Fatal(err)
					}
					if r == runs-1 {
						b.StopTimer()
						added = s.AddedBytes
					}
				}
			}
			b.ReportMetric(float64(added), "added_bytes")
		})
	}
}

// BenchmarkRecheckStored measures what checking the stored bytes of a
// loose blob (format 2's layout, and a blob stored afresh after damage) on
// deduplication would cost per object: read its record, decompress it and
// hash its canonical JSON (checkBlob), for the 100,000 objects of
// BenchmarkPutUnchanged. Deduplication compares with the bytes fetched
// instead (BenchmarkCompareStored), hashing only a copy kept in another
// raw form; a packed blob costs a share of its pack's checksum.
func BenchmarkRecheckStored(b *testing.B) {
	objs := benchItems()
	db := benchDB(b)
	w, err := db.Begin("acme", t0)
	if err != nil {
		b.Fatal(err)
	}
	for i, o := range objs {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		b.Fatal(err)
	}
	unpackAll(b, db)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			blobs := tx.Bucket(bucketBlobs)
			for id := uint64(1); id <= uint64(len(objs)); id++ {
				h, packed, err := decodeBlob(blobs.Get(idKey(id)))
				if err != nil {
					return err
				}
				if err := checkBlob(h, packed); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	reportThroughput(b, objs, total)
}

// BenchmarkCompareStored measures what deduplication adds per reused loose
// object: copying its record out, decompressing it and comparing it with
// the bytes fetched (damagedCopies, on one goroutine, as while a run
// fetches), for the 100,000 objects of BenchmarkPutUnchanged stored loose
// (format 2's layout).
func BenchmarkCompareStored(b *testing.B) {
	objs := benchItems()
	db := benchDB(b)
	w, err := db.Begin("acme", t0)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]pending, len(objs))
	idx := make([]int, len(objs))
	for i, o := range objs {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
			b.Fatal(err)
		}
		h, _ := ContentHash(o)
		batch[i], idx[i] = pending{hash: h, raw: o}, i
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		b.Fatal(err)
	}
	fileAll(b, db)
	unpackAll(b, db)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		recs := make([][]byte, len(objs))
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			blobs := tx.Bucket(bucketBlobs)
			for i := range batch {
				recs[i] = bytes.Clone(blobs.Get(idKey(lookupBlobID(tx, batch[i].hash))))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if bad, err := damagedCopies(batch, idx, recs, 1); len(bad) != 0 || err != nil {
			b.Fatalf("%d copies found damaged, %v", len(bad), err)
		}
		total += time.Since(start)
	}
	reportThroughput(b, objs, total)
}

// BenchmarkPackSize stores the 100,000 objects of BenchmarkPut in a fresh
// database with packs closed at several raw sizes and two zstd levels, and
// reports the bytes each object costs in the packs bucket (records, and
// the pages bbolt allocates them, overflow pages rounding up to 4 KiB)
// and the time of the puts and the commit (compression included). The
// package doc's table comes from it.
func BenchmarkPackSize(b *testing.B) {
	objs := benchItems()
	defer func(t int, l zstd.EncoderLevel) { packTarget, packLevel = t, l }(packTarget, packLevel)
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
		for _, kib := range []int{4, 16, 32, 64, 128, 256} {
			b.Run(fmt.Sprintf("level=%s/size=%dKiB", level, kib), func(b *testing.B) {
				packTarget, packLevel = kib<<10, level
				packCodec = sync.OnceValues(newPackEncoder)
				var total time.Duration
				var recs, alloc int64
				for range b.N {
					b.StopTimer()
					db := benchDB(b)
					w, err := db.Begin("acme", t0)
					if err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					b.StartTimer()
					for i, o := range objs {
						if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					total += time.Since(start)
					recs, alloc = 0, 0
					if err := db.bolt.View(func(tx *bbolt.Tx) error {
						p := tx.Bucket(bucketPacks)
						st := p.Stats()
						alloc = int64(st.LeafAlloc)
						return p.ForEach(func(_, v []byte) error { recs += int64(len(v)); return nil })
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(recs)/float64(len(objs)), "pack-bytes/object")
				b.ReportMetric(float64(alloc)/float64(len(objs)), "allocated-bytes/object")
				b.ReportMetric(total.Seconds()/float64(b.N), "s/put+commit")
			})
		}
	}
}
