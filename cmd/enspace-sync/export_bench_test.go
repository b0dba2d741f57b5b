package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/export"
)

// BenchmarkExportSnapshot exports the latest snapshot of a workspace of
// 10,000 and of 100,000 items, as a .tar.gz and as an ndjson directory:
//
//	go test ./cmd/enspace-sync -run '^$' -bench ExportSnapshot -benchtime 1x
//
// The backup that fills the database runs once per size, in a child
// process, outside the timed part; the fake API is gone before the export
// starts. The export runs in this process so that its heap can be sampled:
// peak-heap-MiB is the highest HeapInuse seen during the run (every 2 ms),
// base-heap-MiB the HeapInuse just before it. The export streams, so the
// peak should be about the same at both sizes. The last export is then
// read back with export.Read (not timed as the export): it must hold every
// item, and read-ns/item is what reading it took.
func BenchmarkExportSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			cfg, items := backupForExport(b, n)
			for _, v := range []struct{ name, output string }{
				{"targz", "x.tar.gz"},
				{"ndjson-dir", "x"},
			} {
				b.Run(v.name, func(b *testing.B) {
					benchExport(b, cfg, v.output, items)
				})
			}
		})
	}
}

// backupForExport backs up a demo workspace of about n items (three types)
// into a fresh database and returns the config's path and the item count.
// The fake API is closed when it returns.
func backupForExport(b *testing.B, n int) (string, int) {
	b.Helper()
	perType := (n + 2) / 3
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: perType})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := b.TempDir()
	cfg := writeTestConfig(b, dir, hs.URL, "concurrency: 8")
	runMeasured(b, "backup", "--config", cfg, "--workspace", "acme")
	return cfg, 3 * perType
}

// benchExport times export --snapshot latest into a new output per
// iteration, sampling the heap meanwhile.
func benchExport(b *testing.B, cfg, output string, items int) {
	dir := b.TempDir()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	peak := newHeapSampler(2 * time.Millisecond)
	b.ResetTimer()
	for i := range b.N {
		out := filepath.Join(dir, fmt.Sprintf("%d-%s", i, output))
		m := NewMain()
		m.Stdout, m.Stderr = io.Discard, io.Discard
		err := m.Run(context.Background(), []string{"export", "--config", cfg, "--workspace", "acme",
			"--snapshot", "latest", "--output", out, "--quiet"})
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatalf("export: %v", err)
		}
	}
	b.StopTimer()
	top := peak.stop()
	readPerItem := checkExport(b, filepath.Join(dir, fmt.Sprintf("%d-%s", b.N-1, output)), items)
	perItem := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(items)
	b.ReportMetric(perItem, "ns/item")
	b.ReportMetric(1e9/perItem, "items/s")
	b.ReportMetric(float64(top)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
	b.ReportMetric(readPerItem, "read-ns/item")
}

// checkExport reads the export back, checks it holds the items, and
// returns the time export.Read took per item.
func checkExport(b *testing.B, path string, items int) float64 {
	b.Helper()
	got := 0
	start := time.Now()
	m, err := export.Read(path, func(kind, parent, key string, raw []byte) error {
		if kind == export.ItemsKind {
			got++
		}
		return nil
	})
	took := time.Since(start)
	if err != nil {
		b.Fatalf("read the export back: %v", err)
	}
	if got != items || m.Counts[export.ItemsKind] != int64(items) {
		b.Fatalf("export holds %d items (manifest %d), want %d", got, m.Counts[export.ItemsKind], items)
	}
	return float64(took.Nanoseconds()) / float64(items)
}

// heapSampler records the highest HeapInuse seen by a goroutine that
// reads it at an interval until stop.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func newHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse)
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak.
func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}
