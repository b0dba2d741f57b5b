package snapshot

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestBigSize(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{1, 64 << 10}, {64 << 10, 64 << 10}, {64<<10 + 1, 128 << 10}, {copyChunk, copyChunk},
		{1 << 20, 1 << 20}, {1<<20 + 1, 2 << 20}, {2 << 20, 2 << 20}, {3 << 20, 4 << 20}, {5<<20 + 7, 6 << 20},
	} {
		if got := bigSize(c.n); got != c.want {
			t.Errorf("bigSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestBigAllocReuse: a buffer given back is handed out again, zeroed, at
// its size; slices of other element types are aligned and as long as
// asked.
func TestBigAllocReuse(t *testing.T) {
	for _, n := range []int{1000, 300 << 10, 3 << 20} {
		b := bigAlloc(n)
		if len(b) != n || cap(b) != bigSize(n) {
			t.Fatalf("bigAlloc(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i := range b[:cap(b)] {
			b[:cap(b)][i] = 0xff
		}
		bigFree(b)
		c := bigAlloc(n)
		if unsafe.SliceData(c) != unsafe.SliceData(b) {
			t.Errorf("bigAlloc(%d) after a bigFree of that size: another buffer", n)
		}
		for i, x := range c[:cap(c)] {
			if x != 0 {
				t.Fatalf("bigAlloc(%d) reused: byte %d is %#x, want 0", n, i, x)
			}
		}
		bigFree(c)
	}
	s := bigSlice[filedBlob](1000)
	if len(s) != 1000 || cap(s) < 1000 || uintptr(unsafe.Pointer(unsafe.SliceData(s)))%unsafe.Alignof(filedBlob{}) != 0 {
		t.Fatalf("bigSlice: len %d cap %d at %p", len(s), cap(s), unsafe.SliceData(s))
	}
	s[999].id = 7
	bigSliceFree(s)
	// 40-byte entries leave bytes of the buffer over: it still goes
	// back under its own size, and comes out again.
	if again := bigSlice[filedBlob](1000); unsafe.SliceData(again) != unsafe.SliceData(s) || again[999].id != 0 {
		t.Errorf("bigSlice after bigSliceFree of the same size: another buffer, or not zeroed")
	}
}

// freeHolds reports whether b's buffer is among those given back.
func freeHolds(b []byte) bool {
	bigBufs.mu.Lock()
	defer bigBufs.mu.Unlock()
	for _, f := range bigBufs.free[cap(b)] {
		if unsafe.SliceData(f) == unsafe.SliceData(b) {
			return true
		}
	}
	return false
}

// fillChunks begins a run of db, puts 3,000 objects with PutCopy (pad in
// each), waits for its batches and returns it with the chunks it holds.
func fillChunks(t *testing.T, db *DB, pad string) (*Writer, [][]byte) {
	t.Helper()
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		raw := fmt.Appendf(nil, `{"id":%d,"name":"item %d of a run that fills several chunks","pad":%q}`, i, i, pad)
		h, _ := ContentHash(raw)
		if err := w.PutCopy("items", "contracts", fmt.Sprint(i), h, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w, append(append([][]byte(nil), w.free...), w.chunks...)
}

// TestWriterGivesBackChunks: the chunks PutCopy filled are given back
// when the run ends, by a commit or an abort, and none is still the
// Writer's.
func TestWriterGivesBackChunks(t *testing.T) {
	for _, end := range []string{"commit", "abort"} {
		t.Run(end, func(t *testing.T) {
			// One batch, written at the end: how many chunks a run holds
			// does not depend on when the background wrote earlier ones.
			db := openTestOpts(t, Options{BatchObjects: 1 << 20, BatchBytes: 1 << 30})
			w, held := fillChunks(t, db, strings.Repeat("x", 200)) // some 900 KB: 4 chunks
			w.mu.Lock()
			w.done = false // finish again in Commit or Abort
			w.mu.Unlock()
			if len(held) < 3 {
				t.Fatalf("the run holds %d chunks, want several", len(held))
			}
			var err error
			if end == "commit" {
				_, err = w.Commit(CommitInfo{FinishedAt: t0})
			} else {
				err = w.Abort(nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range held {
				if !freeHolds(c) {
					t.Errorf("chunk %d of %d not given back after the %s", i, len(held), end)
				}
			}
			if w.free != nil || w.chunks != nil {
				t.Errorf("after the %s the Writer still holds %d free chunks and %d chunks", end, len(w.free), len(w.chunks))
			}
		})
	}
}

// TestCloseGivesBackWaitTable: closing a database gives back its table
// of waiting index entries.
func TestCloseGivesBackWaitTable(t *testing.T) {
	db := openTestOpts(t, Options{UnfiledBlobs: 1 << 20})
	commitOneCopy(t, db)
	db.unfiled.mu.RLock()
	slots := db.unfiled.entries.slots
	db.unfiled.mu.RUnlock()
	if len(slots) == 0 {
		t.Fatal("no waiting table after a commit: nothing to check")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(slots))), cap(slots)*4)
	if !freeHolds(b) {
		t.Error("the waiting table's slots were not given back on Close")
	}
	if db.unfiled.entries.slots != nil || db.unfiled.entries.list != nil {
		t.Error("the closed database still holds its waiting table")
	}
}

// TestDroppedWriterGivesBackChunks: a Writer dropped without Commit or
// Abort (a panic the daemon recovers from) gives its chunks back once it
// is collected.
func TestDroppedWriterGivesBackChunks(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 1000, BatchBytes: 1 << 30})
	_, held := fillChunks(t, db, "") // the Writer is dropped here
	for range 50 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if freeHolds(held[0]) && freeHolds(held[len(held)-1]) {
			return
		}
	}
	t.Fatalf("%d chunks of a dropped Writer were never given back", len(held))
}

// TestBigTrimDropsFreeBuffers: bigTrim gives the pages of the buffers
// given back to the system (on Linux, outside the race detector's heap
// buffers): their bytes read zero afterwards, and a run's end trims.
func TestBigTrimDropsFreeBuffers(t *testing.T) {
	if runtime.GOOS != "linux" || raceEnabled {
		t.Skip("pages are given back on Linux only, and not under the race detector")
	}
	b := bigAlloc(copyChunk)
	for i := range b {
		b[i] = 0xff
	}
	bigFree(b)
	db := openTestOpts(t, Options{})
	commitOneCopy(t, db)
	// The run took a chunk (maybe b) and gave it back; its end trimmed
	// every free buffer.
	bigBufs.mu.Lock()
	defer bigBufs.mu.Unlock()
	if bigBufs.onHeap {
		t.Skip("a region came from the heap: nothing is trimmed")
	}
	for _, f := range bigBufs.free[copyChunk] {
		for i, x := range f {
			if x != 0 {
				t.Fatalf("a free chunk still holds %#x at %d after a run's end", x, i)
			}
		}
	}
}

// TestClosedDBMakesNoWaitTable: entries that a batch committed just before
// the database closed add nothing after its close (which gave the table's
// buffers back): no table is made again, to be kept for good.
func TestClosedDBMakesNoWaitTable(t *testing.T) {
	db := openTestOpts(t, Options{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	h, _ := ContentHash([]byte(`{"id":1}`))
	db.unfiled.wait([]filedBlob{{hash: h, id: 1}})
	db.unfiled.mu.RLock()
	defer db.unfiled.mu.RUnlock()
	if db.unfiled.entries.slots != nil || db.unfiled.entries.list != nil {
		t.Error("a closed database made a waiting table again")
	}
}

// commitOneCopy commits a run of one object put with PutCopy.
func commitOneCopy(t *testing.T, db *DB) {
	t.Helper()
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(`{"id":1}`)
	h, _ := ContentHash(raw)
	if err := w.PutCopy("items", "contracts", "1", h, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		t.Fatal(err)
	}
}
