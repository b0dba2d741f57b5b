package fakeapi

import (
	"net/http/httptest"
	"runtime"
	"testing"
)

// heapPerItem builds a demo server with items per type and returns the
// heap bytes the server holds per item.
func heapPerItem(tb testing.TB, items int) (float64, int) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newServer(tb, Options{Items: items})
	runtime.GC()
	runtime.ReadMemStats(&after)
	total := 0
	for _, ws := range s.Workspaces() {
		total += s.Workspace(ws).Counts().Items
	}
	runtime.KeepAlive(s)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(total), total
}

// TestMemoryPerItem reports the heap a generated item costs, and keeps it
// compact enough that a million items fit in a modest heap.
func TestMemoryPerItem(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 68,000 items")
	}
	perItem, total := heapPerItem(t, 20_000)
	t.Logf("%d items: %.0f bytes per item", total, perItem)
	if perItem > 300 {
		t.Errorf("%.0f bytes per item, want at most 300", perItem)
	}
}

// BenchmarkGenerate generates a large demo workspace and reports the heap
// per item.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		perItem, _ := heapPerItem(b, 100_000)
		b.ReportMetric(perItem, "bytes/item")
	}
}

// BenchmarkListItemsPage answers a page of 100 items from a large type.
func BenchmarkListItemsPage(b *testing.B) {
	s := newServer(b, Options{Items: 10_000})
	r := httptest.NewRequest("GET", "/ws/types/contracts/items?limit=100&page=42", nil)
	r.Header.Set("x-api-key", DemoAPIKey)
	r.Header.Set("en-workspace", "acme")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
