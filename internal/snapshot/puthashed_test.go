package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
