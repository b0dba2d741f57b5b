//go:build unix

package app

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

var (
	restoreItems  = flag.Int("restore-db-items", 100_000, "items of BenchmarkRestoreDB's workspace")
	restoreTarget = flag.String("restore-db-target", "", "BenchmarkRestoreDB's target: built there unless it holds one (of -restore-db-items items) already, so that runs of two builds read the same target without building it twice")
)

// BenchmarkRestoreDB times restore-db alone, on BenchmarkOffsite's
// history (10 days at 1% churn, 11 snapshots; -restore-db-items items,
// 100,000 by default) pushed once to a file:// target before the timer
// starts:
//
//	go test ./internal/app -run '^$' -bench RestoreDB -benchtime 1x [-restore-db-items 1000000] [-restore-db-target DIR]
//
// It reports restore-db's seconds, the target's size (target-MB: the
// bytes restore-db reads; over each figure of seconds, the rate), the
// seconds of a plain copy of the target's files (copy-s), of restore-db's reading alone (restore-read-s:
// what BenchmarkOffsite reports under that name), the CPU time
// restore-db used (restore-db-cpu-s: user and system, of the whole
// process, which runs nothing else meanwhile; on a shared machine it
// moves less than the wall time), its minor page faults
// (restore-db-faults), the bytes it allocated (alloc-MiB) and the
// collections that ran meanwhile (gcs), the objects restore-db expected
// to file (expected-objects: its Progress's total) and filed
// (filed-objects: its last count), and restore-db's peak anonymous resident
// memory above what the process held before it (anon-MiB: RssAnon of
// /proc/self/status, sampled every 10 ms, after a GC; the heap and
// stacks, not the mapped database pages). CPU profiles of restore-db
// alone: -cpuprofile, then go tool pprof -tagfocus phase=restore-db.
// -restore-db-target keeps the pushed history in DIR (and DIR.built)
// for the next run, of this build or another: two builds compared on
// one machine then read the same target, and the push is paid once.
func BenchmarkRestoreDB(b *testing.B) {
	n := *restoreItems
	dir := b.TempDir()
	target := filepath.Join(dir, "target")
	if *restoreTarget != "" {
		target = *restoreTarget
	}
	if _, err := os.Stat(target + ".built"); err != nil || *restoreTarget == "" {
		if err := os.RemoveAll(target); err != nil {
			b.Fatal(err)
		}
		buildOffsiteHistory(b, dir, target, n, 10)
		if err := os.WriteFile(target+".built", nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var seen lastProgress
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		start := time.Now()
		size, err := copyDir(target, filepath.Join(dir, "copy"+strconv.Itoa(i)))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "copy-s")
		b.ReportMetric(float64(size)/1e6, "target-MB")
		start = time.Now()
		if err := readOffsite(ctx, target, dir); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "restore-read-s")
		runtime.GC()
		debug.FreeOSMemory()
		base := rssAnon()
		stop := sampleAnon()
		b.StartTimer()
		start = time.Now()
		cpu, faults := cpuSeconds(), minorFaults()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		pprof.Do(ctx, pprof.Labels("phase", "restore-db"), func(ctx context.Context) {
			_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "bench-password", To: filepath.Join(dir, "restored"+strconv.Itoa(i)+".db"),
				Progress: &seen})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "restore-db-s")
		b.ReportMetric(cpuSeconds()-cpu, "restore-db-cpu-s")
		b.ReportMetric(float64(minorFaults()-faults), "restore-db-faults")
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), "alloc-MiB")
		b.ReportMetric(float64(ms1.NumGC-ms0.NumGC), "gcs")
		b.ReportMetric(float64(stop()-base)/(1<<20), "anon-MiB")
		b.ReportMetric(float64(seen.total), "expected-objects")
		b.ReportMetric(float64(seen.done), "filed-objects")
	}
}

// lastProgress is a Progress that draws nothing (as --quiet's) and keeps
// the last total and count it was told: BenchmarkRestoreDB reports the
// estimate against what was filed.
type lastProgress struct {
	mu          sync.Mutex
	total, done int64
}

func (p *lastProgress) Expect(total int64, _ map[string]int, _ bool) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

func (p *lastProgress) Update(_ string, objects int64) {
	p.mu.Lock()
	p.done = objects
	p.mu.Unlock()
}

func (p *lastProgress) Step(string) {}

// buildOffsiteHistory commits days+1 snapshots of n items to a
// database in dir, pushing each to target, as BenchmarkOffsite does.
func buildOffsiteHistory(b *testing.B, dir, target string, n, days int) {
	b.Helper()
	db, err := snapshot.Open(filepath.Join(dir, "local.db"), snapshot.Options{Logger: slog.New(slog.DiscardHandler), BatchObjects: 20_000, BatchBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "bench-password", Name: "bench", BlobID: blobID})
	if err != nil {
		b.Fatal(err)
	}
	for d := 1; d <= days+1; d++ {
		day := max(d-1, 1) // day 1 twice: an unchanged backup
		if _, err := writeOffsiteDay(db, n, day, d); err != nil {
			b.Fatal(err)
		}
		if _, err := repo.Push(ctx, dbSource{db}); err != nil {
			b.Fatal(err)
		}
	}
}

// readOffsite does what restore-db does before it files anything: opens
// the target (the key's derivation), reads the index and the trees, and
// prepares every pack the snapshots need (download, decrypt, decompress,
// each object checked against its id).
func readOffsite(ctx context.Context, target, dir string) error {
	r, err := offsite.Open(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "bench-password", BlobID: blobID})
	if err != nil {
		return err
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return err
	}
	rs, err := r.NewRestorer(ctx, snaps, dir)
	if err != nil {
		return err
	}
	defer rs.Close()
	return rs.Wait(ctx)
}

// cpuSeconds returns the user and system CPU time this process used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// minorFaults returns this process's minor page faults so far (each a
// first touch of a page: some 10 µs of CPU on the 2-core test machine).
func minorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Minflt)
}

// rssAnon returns this process's anonymous resident bytes (0 where
// /proc is missing).
func rssAnon() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// sampleAnon samples rssAnon every 10 ms until the returned func is
// called, which returns the peak.
func sampleAnon() func() int64 {
	var mu sync.Mutex
	peak := rssAnon()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := rssAnon()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		v := rssAnon()
		mu.Lock()
		defer mu.Unlock()
		return max(peak, v)
	}
}
