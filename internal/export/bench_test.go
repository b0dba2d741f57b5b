package export

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// benchItem is an item of about 350 bytes.
var benchItem = []byte(`{"id":100001,"type":"contracts","data":{"title":"Service agreement with Northwind Traders","amount":12500.5,"signed":true,"owner":[17,23],"status":"active","notes":"Renewal due next quarter, see the attached terms."},"user":{"id":17,"name":"Ana Lima"},"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-05T06:07:08Z"}`)

var benchFields = []string{"title", "amount", "signed", "owner", "status", "notes"}

func writeItems(tb testing.TB, dir, format string, n int) {
	w, err := NewDir(dir, Options{Format: format, Workspace: "acme"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.SetFields("contracts", benchFields); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Put("items", "contracts", "", benchItem); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkWriteItems writes whole exports of n items; B/item and
// allocs/item must stay flat from 10k to 100k items.
func BenchmarkWriteItems(b *testing.B) {
	for _, format := range []string{"ndjson", "csv"} {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", format, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n * len(benchItem)))
				base := b.TempDir()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := 0; b.Loop(); i++ {
					writeItems(b, filepath.Join(base, fmt.Sprint(i)), format, n)
				}
				runtime.ReadMemStats(&after)
				items := float64(b.N * n)
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/items, "B/item")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/items, "allocs/item")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/items, "ns/item")
			})
		}
	}
}

// TestAllocationDoesNotScale checks allocation per item stays flat when the
// item count grows tenfold: nothing is kept per object.
func TestAllocationDoesNotScale(t *testing.T) {
	for _, format := range []string{"ndjson", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			perItem := func(n int) float64 {
				dir := filepath.Join(t.TempDir(), "out")
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				writeItems(t, dir, format, n)
				runtime.ReadMemStats(&after)
				return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
			}
			small, large := perItem(2_000), perItem(20_000)
			if large > small*1.1+8 {
				t.Errorf("bytes allocated per item grew from %.0f (2k items) to %.0f (20k items)", small, large)
			}
		})
	}
}

func TestLargeExportRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewTarGzStream(&buf, testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := 0; i < n; i++ {
		if err := w.Put("items", fmt.Sprintf("t%d", i%7), "", benchItem); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readTarGz(t, &buf)
	m := checkManifest(t, files)
	if m.Counts["items"] != n || st.Objects != n || len(m.Files) != 7 {
		t.Errorf("counts = %v, stats = %+v, files = %d", m.Counts, st, len(m.Files))
	}
}
