package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPutHashed: a run filed with PutHashed, bytes for the first snapshot
// and hashes alone for the second, reads back as runs filed with Put; a
// hash alone of a blob the database does not hold fails the run.
func TestPutHashed(t *testing.T) {
	db := openTest(t)
	const n = 300
	orig := snapshotOf(t, db, "ref", n, same)
	_, hashes := walkAll(t, db, orig, "items/contracts")
	blobs := countBlobs(t, db)

	put := func(withBytes bool) *Snapshot {
		w, err := db.Begin("acme", t0)
		if err != nil {
			t.Fatal(err)
		}
		for id := 1; id <= n; id++ {
			var raw []byte
			if withBytes {
				raw = item(id, 0)
			}
			h, _ := ContentHash(item(id, 0))
			if err := w.PutHashed("items", "contracts", fmt.Sprint(id), h, raw); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, withBytes := range []bool{true, false} {
		s := put(withBytes)
		keys, got := walkAll(t, db, s, "items/contracts")
		if len(keys) != n || !slices.Equal(got, hashes) {
			t.Fatalf("PutHashed (bytes %v): %d keys, hashes equal %v", withBytes, len(keys), slices.Equal(got, hashes))
		}
		raw, ok, err := db.Lookup(s, "items/contracts", "7")
		if err != nil || !ok || string(raw) != string(item(7, 0)) {
			t.Fatalf("lookup 7 = %q, %v, %v", raw, ok, err)
		}
	}
	if got := countBlobs(t, db); got != blobs {
		t.Errorf("%d blobs after PutHashed, %d before", got, blobs)
	}

	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ContentHash([]byte(`{"never":"stored"}`))
	err = w.PutHashed("items", "contracts", "1", h, nil)
	if err == nil {
		_, err = w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("a hash alone of a blob not stored: %v", err)
	}
	_ = w.Abort(err)
}

// TestPutOwned: objects handed over with PutOwned read back byte for byte
// as Put files them, deduplicated the same way; nil bytes are refused.
func TestPutOwned(t *testing.T) {
	db := openTest(t)
	const n = 300
	orig := snapshotOf(t, db, "ref", n, same)
	_, hashes := walkAll(t, db, orig, "items/contracts")
	blobs := countBlobs(t, db)

	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		raw := item(id, 0)
		h, _ := ContentHash(raw)
		if err := w.PutOwned("items", "contracts", fmt.Sprint(id), h, raw); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := ContentHash(item(1, 0))
	if err := w.PutOwned("items", "contracts", "1", h, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutOwned without bytes: %v, want ErrInvalid", err)
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	keys, got := walkAll(t, db, s, "items/contracts")
	if len(keys) != n || !slices.Equal(got, hashes) {
		t.Fatalf("PutOwned: %d keys, hashes equal %v", len(keys), slices.Equal(got, hashes))
	}
	raw, ok, err := db.Lookup(s, "items/contracts", "7")
	if err != nil || !ok || string(raw) != string(item(7, 0)) {
		t.Fatalf("lookup 7 = %q, %v, %v", raw, ok, err)
	}
	if got := countBlobs(t, db); got != blobs {
		t.Errorf("%d blobs after PutOwned, %d before", got, blobs)
	}
}

// TestPutOwnedAllocs: PutOwned allocates nothing an object for its
// collection name and sort key (they go into a shared buffer, a new one
// when it is full), and the objects are filed under the right names
// across several of those buffers.
func TestPutOwnedAllocs(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 1 << 20, BatchBytes: 1 << 30})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	const per = 500
	raws := make([][]byte, 6*per)
	hashes := make([]Hash, len(raws))
	keys := make([]string, len(raws))
	for i := range raws {
		raws[i] = item(i+1, 0)
		hashes[i], _ = ContentHash(raws[i])
		keys[i] = fmt.Sprint(i + 1)
		if i%3 == 0 {
			keys[i] = fmt.Sprintf("key-%d-%s", i+1, strings.Repeat("x", 100)) // text keys, many buffers
		}
	}
	next := 0
	allocs := testing.AllocsPerRun(5, func() {
		for range per {
			if err := w.PutOwned("items", "contracts", keys[next], hashes[next], raws[next]); err != nil {
				t.Fatal(err)
			}
			next++
		}
	})
	// The batch's slice doubles now and then: a handful for 500 objects.
	if allocs > 20 {
		t.Errorf("%.0f allocations for %d objects", allocs, per)
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != next {
		t.Fatalf("%d objects in the snapshot, want %d", s.Objects, next)
	}
	for _, i := range []int{0, 1, per, next/2 + 1, next - 1} {
		raw, ok, err := db.Lookup(s, "items/contracts", keys[i])
		if err != nil || !ok || string(raw) != string(raws[i]) {
			t.Fatalf("lookup %q = %q, %v, %v", keys[i], raw, ok, err)
		}
	}
}

// TestPutCopy: objects handed over with PutCopy from one buffer the caller
// overwrites after each call (as a backup's client reads its next page
// into the same buffer) read back byte for byte as Put files them, over
// batches that hand their chunks on to later ones, objects larger than a
// chunk's quarter among them; the run stores the same database as Put.
func TestPutCopy(t *testing.T) {
	const n = 3000
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = item(i+1, 0)
		if i%500 == 7 {
			raws[i] = fmt.Appendf(nil, `{"id":%d,"big":%q}`, i+1, strings.Repeat("b", copyChunk/4+i))
		}
	}
	run := func(copying bool) (*DB, *Snapshot) {
		db := openTestOpts(t, Options{BatchObjects: 200, BatchBytes: 1 << 30})
		w, err := db.Begin("acme", t0)
		if err != nil {
			t.Fatal(err)
		}
		var page []byte
		for i, raw := range raws {
			h, _ := ContentHash(raw)
			if copying {
				page = append(page[:0], raw...)
				err = w.PutCopy("items", "contracts", fmt.Sprint(i+1), h, page)
				for j := range page {
					page[j] = 'x' // the next page overwrites the buffer
				}
			} else {
				err = w.Put("items", "contracts", fmt.Sprint(i+1), raw)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if copying {
			h, _ := ContentHash(raws[0])
			if err := w.PutCopy("items", "contracts", "1", h, nil); !errors.Is(err, ErrInvalid) {
				t.Errorf("PutCopy without bytes: %v, want ErrInvalid", err)
			}
		}
		s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return db, s
	}
	putDB, putSnap := run(false)
	db, s := run(true)
	got, want := s.Collections["items/contracts"], putSnap.Collections["items/contracts"]
	if s.Objects != n || got != want || s.AddedBytes != putSnap.AddedBytes {
		t.Fatalf("PutCopy: %d objects, %+v, %d bytes added; Put: %+v, %d bytes", s.Objects, got, s.AddedBytes, want, putSnap.AddedBytes)
	}
	for i, raw := range raws {
		got, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(i+1))
		if err != nil || !ok || string(got) != string(raw) {
			t.Fatalf("lookup %d = %.40q, %v, %v", i+1, got, ok, err)
		}
	}
	if got, want := countBlobs(t, db), countBlobs(t, putDB); got != want {
		t.Errorf("%d blobs after PutCopy, %d after Put", got, want)
	}
}

// TestPackRecordsOfConcurrentRuns: runs writing batches at the same time,
// in three databases, each compressing its packs into record buffers it
// uses again batch after batch: each reads back what it stored.
func TestPackRecordsOfConcurrentRuns(t *testing.T) {
	const n = 4000
	var wg sync.WaitGroup
	for r := range 3 {
		wg.Go(func() {
			db := openTestOpts(t, Options{BatchObjects: 50, BatchBytes: 1 << 30})
			w, err := db.Begin("acme", t0)
			if err != nil {
				t.Error(err)
				return
			}
			raw := func(i int) []byte {
				return fmt.Appendf(nil, `{"id":%d,"run":%d,"text":%q}`, i, r, strings.Repeat("t", i%300))
			}
			for i := 1; i <= n; i++ {
				h, _ := ContentHash(raw(i))
				if err := w.PutCopy("items", "contracts", fmt.Sprint(i), h, raw(i)); err != nil {
					t.Error(err)
					return
				}
			}
			s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
			if err != nil {
				t.Error(err)
				return
			}
			for i := 1; i <= n; i++ {
				got, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(i))
				if err != nil || !ok || string(got) != string(raw(i)) {
					t.Errorf("run %d: lookup %d = %.40q, %v, %v", r, i, got, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestInPlace: a pack's objects copied one after the other into a
// Writer's chunk are compressed where they are; objects apart (copied
// elsewhere, into another chunk, or one left out between them) are
// copied together, and neither way takes bytes that are not theirs.
func TestInPlace(t *testing.T) {
	w := &Writer{}
	var batch []pending
	var want [][]byte
	for i := range 1500 {
		raw := item(i+1, 0)
		batch = append(batch, pending{raw: w.copyRaw(raw)})
		want = append(want, raw)
	}
	concat := func(members []int) []byte {
		var b []byte
		for _, i := range members {
			b = append(b, want[i]...)
		}
		return b
	}
	// The first object of the second chunk: the first the first chunk
	// has no room for.
	next, room := 0, cap(batch[0].raw)
	for ; room >= len(want[next]); next++ {
		room -= len(want[next])
	}
	if next < 20 || next > 1480 {
		t.Fatalf("the second chunk starts at object %d", next)
	}
	for _, c := range []struct {
		name    string
		members []int
		inPlace bool
	}{
		{"one", []int{5}, true},
		{"side by side", seq(3, 40), true},
		{"to the chunk's last", seq(next-10, 10), true},
		{"over two chunks", seq(next-10, 20), false},
		{"one left out", []int{3, 4, 6}, false},
		{"out of order", []int{4, 3}, false},
	} {
		got, ok := inPlace(batch, c.members)
		if ok != c.inPlace || ok && (string(got) != string(concat(c.members)) || cap(got) != len(got)) {
			t.Errorf("%s: in place %v (%d bytes, room %d), want %v", c.name, ok, len(got), cap(got), c.inPlace)
		}
	}
	apart := []pending{{raw: bytes.Clone(want[0])}, {raw: bytes.Clone(want[1])}}
	if _, ok := inPlace(apart, []int{0, 1}); ok {
		t.Error("objects copied apart found in place")
	}
}

// seq returns n indexes from first on.
func seq(first, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}
