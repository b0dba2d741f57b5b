package snapshot

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var (
	importItems   = flag.Int("import-items", 100_000, "BenchmarkImportChain's objects")
	importUnfiled = flag.Int("import-unfiled", 1<<18, "BenchmarkImportChain's Options.UnfiledBlobs (restore-db's); 0: a backup's, and no filing at the end")
)

// BenchmarkImportChain drives the Writer as offsite restore-db does
// (internal/app importAll), without the target: a first snapshot of
// -import-items objects Put with their hashes (PutOwned) in batches of
// 20,000 (16 MiB) into a database opened without fsync, whose blob
// index entries wait until 2^18 of them do (-import-unfiled) and are
// filed at the end (FileBlobIndex), then ten
// snapshots each begun on the one before (BeginFrom) with the 1% of
// objects that changed that day, as BenchmarkRestoreDB's history has
// them. The objects and their hashes are made before the timer starts.
// It reports the CPU time (user and system, of the whole process) and
// the minor page faults of the import (import-cpu-s, import-faults).
//
//	go test ./internal/snapshot -run '^$' -bench ImportChain -benchtime 3x [-import-items 1000000]
func BenchmarkImportChain(b *testing.B) {
	n := *importItems
	const days = 10
	type obj struct {
		key string
		raw []byte
		h   Hash
	}
	mk := func(i, rev int) obj {
		raw := item(i+1, 0)
		raw = append(raw[:len(raw)-1], fmt.Sprintf(`,"rev":%d}`, rev)...)
		h, err := ContentHash(raw)
		if err != nil {
			b.Fatal(err)
		}
		return obj{key: strconv.Itoa(i + 1), raw: raw, h: h}
	}
	first := make([]obj, n)
	for i := range first {
		first[i] = mk(i, 1)
	}
	changes := make([][]obj, days+1)
	for d := 2; d <= days; d++ {
		for i := d; i < n; i += 100 {
			changes[d] = append(changes[d], mk(i, d))
		}
	}
	b.ResetTimer()
	for it := range b.N {
		b.StopTimer()
		db, err := Open(filepath.Join(b.TempDir(), "import"+strconv.Itoa(it)+".db"),
			Options{Logger: quiet, BatchObjects: 20_000, BatchBytes: 16 << 20, NoSync: true, UnfiledBlobs: *importUnfiled})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu, faults := processCPU(b).Seconds(), benchFaults()
		w, err := db.Begin("acme", t0)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range first {
			if err := w.PutOwned("items", "clients", o.key, o.h, o.raw); err != nil {
				b.Fatal(err)
			}
		}
		base, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute), Walked: []string{"items"}})
		if err != nil {
			b.Fatal(err)
		}
		for d := 1; d <= days; d++ {
			w, err := db.BeginFrom(base, t0.Add(time.Duration(d)*time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range changes[d] {
				if err := w.PutOwned("items", "clients", o.key, o.h, o.raw); err != nil {
					b.Fatal(err)
				}
			}
			if base, err = w.Commit(CommitInfo{FinishedAt: t0.Add(time.Duration(d)*time.Hour + time.Minute), Walked: []string{"items"}}); err != nil {
				b.Fatal(err)
			}
			if base.Objects != n {
				b.Fatalf("day %d: %d objects, want %d", d, base.Objects, n)
			}
		}
		if *importUnfiled > 0 {
			if err := db.FileBlobIndex(); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(processCPU(b).Seconds()-cpu, "import-cpu-s")
		b.ReportMetric(float64(benchFaults()-faults), "import-faults")
	}
}

// benchFaults returns this process's minor page faults so far.
func benchFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Minflt)
}
