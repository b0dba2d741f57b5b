package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// BenchmarkBackup backs up 100,000 items of the fake API at 20 ms latency
// with concurrency 8, through the real program in a child process, and
// reports against the API-bound ideal (list pages x latency / concurrency):
//
//	go test ./cmd/enspace-sync -run '^$' -bench Backup -benchtime 1x
//
// Figures: wall seconds of the first backup, the ideal, their ratio, the
// requests made, the database size after the first and the second
// (unchanged) snapshot, and the child's peak resident memory.
func BenchmarkBackup(b *testing.B) {
	const (
		itemsPerType = 33_334 // three types: 100,002 items
		latency      = 20 * time.Millisecond
		concurrency  = 8
	)
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: itemsPerType, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfg := writeTestConfig(b, dir, hs.URL, "concurrency: 8")
		db := filepath.Join(dir, "db", "enspace-sync.db")
		before := srv.Requests()
		wall, rss, cpu := runMeasuredCPU(b, "backup", "--config", cfg, "--workspace", "acme")
		after := srv.Requests()
		size1 := fileSize(b, db)
		wall2, rss2 := runMeasured(b, "backup", "--config", cfg, "--workspace", "acme")
		size2 := fileSize(b, db)

		requests := after.Total - before.Total
		pages := after.ByRoute["items.list"] - before.ByRoute["items.list"]
		for name, n := range after.ByRoute {
			if len(name) > 5 && name[len(name)-5:] == ".list" && name != "items.list" {
				pages += n - before.ByRoute[name]
			}
		}
		ideal := time.Duration(pages) * latency / concurrency
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(size1)/(1<<20), "db-MiB-1st")
		b.ReportMetric(float64(size2)/(1<<20), "db-MiB-2nd")
		b.ReportMetric(float64(max(rss, rss2))/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(wall2.Seconds(), "wall-s-2nd")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
	}
}

// runMeasured runs the program as a child and returns its wall time and
// peak resident set size in bytes.
func runMeasured(b *testing.B, args ...string) (time.Duration, int64) {
	wall, rss, _ := runMeasuredCPU(b, args...)
	return wall, rss
}

// runMeasuredCPU is runMeasured that also returns the child's CPU time.
func runMeasuredCPU(b *testing.B, args ...string) (time.Duration, int64, time.Duration) {
	b.Helper()
	cmd := selfCommand(args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%v: %v\n%s", args, err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	var cpu time.Duration
	if ru != nil {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return wall, rss, cpu
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
