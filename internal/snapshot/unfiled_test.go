package snapshot

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"go.etcd.io/bbolt"
)

// settle waits for the batch w is writing in the background, if any.
func settle(w *Writer) {
	w.mu.Lock()
	inflight := w.inflight
	w.mu.Unlock()
	if inflight != nil {
		<-inflight
	}
}

// TestUnfiledEntriesWait checks that new blobs' index entries wait until
// enough of them do, that waiting blobs still deduplicate, within a process
// and after a reopen, and that waiting blobs are read and verified.
func TestUnfiledEntriesWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet, BatchObjects: 10, UnfiledBlobs: 25})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	put := func(w *Writer, from, to int, key func(int) string) {
		t.Helper()
		for id := from; id <= to; id++ {
			if err := w.Put("items", "contracts", key(id), item(id, 0)); err != nil {
				t.Fatal(err)
			}
		}
		settle(w)
	}
	own := func(id int) string { return fmt.Sprint(id) }
	other := func(id int) string { return fmt.Sprint(1000 + id) }
	put(w, 1, 20, own)
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != 20 || i != 0 {
		t.Errorf("after two batches: %d blobs, %d index entries; want 20 and 0 (waiting)", b, i)
	}
	// The same contents under other keys: found among the waiting ones.
	put(w, 1, 10, other)
	if b := countBlobs(t, db); b != 20 {
		t.Errorf("after a batch of known contents: %d blobs, want 20", b)
	}
	// 20 waiting and 10 new reach the limit of 25: all are filed.
	put(w, 21, 30, own)
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != 30 || i != 30 {
		t.Errorf("past the limit: %d blobs, %d index entries; want 30 and 30", b, i)
	}
	put(w, 31, 33, own) // three objects stay buffered
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 43 {
		t.Errorf("snapshot of %d objects, want 43", s.Objects)
	}
	// The commit does not wait for the last three entries.
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != 33 || i != 30 {
		t.Errorf("after the commit: %d blobs, %d index entries; want 33 and 30", b, i)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path) // a read-only open verifies waiting blobs too

	db, err = Open(path, Options{Logger: quiet, BatchObjects: 10, UnfiledBlobs: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		checkFile(t, path)
	}()
	if got, err := db.Blob(hashOf(mustCanonical(t, item(33, 0)))); err != nil || string(got) != string(item(33, 0)) {
		t.Errorf("after a reopen, waiting blob of item 33 = %.40q, %v", got, err)
	}
	w, err = db.Begin("acme", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	put(w, 31, 33, other) // waiting before the reopen: found again
	if b := countBlobs(t, db); b != 33 {
		t.Errorf("after a reopen, known contents made %d blobs, want 33", b)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A prune files every waiting entry first.
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != 33 || i != 33 {
		t.Errorf("after a prune: %d blobs, %d index entries; want 33 and 33", b, i)
	}
}

// TestUnfiledSharedByRuns checks that two runs of one process deduplicate
// against each other's waiting blobs, and that a run aborted while its
// entries wait leaves exactly the blobs another run uses.
func TestUnfiledSharedByRuns(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 5})
	a, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Begin("beta", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 10; id++ {
		if err := a.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	settle(a)
	// Run b holds items 1 to 5, stored by a and still waiting.
	for id := 1; id <= 5; id++ {
		if err := b.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	settle(b)
	if n := countBlobs(t, db); n != 10 {
		t.Fatalf("%d blobs, want 10 (b's found among a's waiting ones)", n)
	}
	if err := a.Abort(nil); err != nil {
		t.Fatal(err)
	}
	if bl, i := countBlobs(t, db), countBlobIndex(t, db); bl != 5 || i != 5 {
		t.Errorf("after a's abort: %d blobs, %d index entries; want 5 and 5 (those b holds)", bl, i)
	}
	s, err := b.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 5 {
		t.Errorf("b's snapshot holds %d objects, want 5", s.Objects)
	}
}

func mustCanonical(t *testing.T, raw []byte) []byte {
	t.Helper()
	c, err := jsonv.Canonical(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConcurrentRunsStoreOnce has runs of one process put the same
// contents at the same time: each content is stored once.
func TestConcurrentRunsStoreOnce(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 7, UnfiledBlobs: 50})
	const n = 400
	var wg sync.WaitGroup
	for _, ws := range []string{"acme", "beta", "gamma", "delta"} {
		w, err := db.Begin(ws, t0)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for id := 1; id <= n; id++ {
				if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
					t.Error(err)
					return
				}
			}
			if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fileAll(t, db)
	if b, i := countBlobs(t, db), countBlobIndex(t, db); b != n || i != n {
		t.Errorf("%d blobs, %d index entries; want %d of each", b, i, n)
	}
}

// TestFormat1Upgrade opens a format-1 database, whose blobs' index entries
// are all filed and which has no watermark: a read-only open reads it as
// it is, a read-write open sets the watermark above its blobs.
func TestFormat1Upgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 30, same)
	fileAll(t, db)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(keyBlobsFiled); err != nil {
			return err
		}
		return meta.Put(keyFormat, []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path) // read-only, format 1

	db, err = Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		checkFile(t, path)
	}()
	var format, filed string
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		format, filed = string(tx.Bucket(bucketMeta).Get(keyFormat)), string(tx.Bucket(bucketMeta).Get(keyBlobsFiled))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if format != fmt.Sprint(FormatVersion) || filed != "30" {
		t.Errorf("after a read-write open: format %q, watermark %q; want %d and 30", format, filed, FormatVersion)
	}
	s := snapshotOf(t, db, "acme", 35, same) // five new blobs wait
	if s.Objects != 35 || countBlobIndex(t, db) != 30 {
		t.Errorf("%d objects, %d index entries; want 35 and 30", s.Objects, countBlobIndex(t, db))
	}
}

// TestWaitTable: the waiting set answers as a map would through growth,
// replacements, hashes that share their table slot, a partial drop and a
// reset, and lists every entry once.
func TestWaitTable(t *testing.T) {
	var tab waitTable
	want := map[Hash]uint64{}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func() Hash {
		var h Hash
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		if rng.UintN(8) == 0 {
			h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15] = 7, 7, 7, 7, 7, 7, 7, 7 // one slot for many
		}
		return h
	}
	check := func(when string, probes []Hash) {
		t.Helper()
		if tab.len() != len(want) {
			t.Fatalf("%s: %d entries, want %d", when, tab.len(), len(want))
		}
		for _, e := range tab.list {
			if want[e.hash] != e.id {
				t.Fatalf("%s: lists %s -> %d, want %d", when, e.hash.Short(), e.id, want[e.hash])
			}
		}
		for _, h := range probes {
			if got := tab.get(h); got != want[h] {
				t.Fatalf("%s: get %s = %d, want %d", when, h.Short(), got, want[h])
			}
		}
	}
	var keys []Hash
	for i := range 5000 {
		h := random()
		if len(keys) > 0 && rng.UintN(5) == 0 {
			h = keys[rng.IntN(len(keys))] // again
		}
		replace := rng.UintN(2) == 0
		if _, ok := want[h]; !ok || replace {
			want[h] = uint64(i + 1)
		}
		if _, ok := want[h]; ok {
			keys = append(keys, h)
		}
		tab.put(h, uint64(i+1), replace, 16)
	}
	probes := append(slices.Clone(keys), random(), random(), Hash{})
	check("after the puts", probes)
	var done []filedBlob
	for _, h := range keys[:1000] {
		done = append(done, filedBlob{hash: h})
		delete(want, h)
	}
	tab.drop(done)
	check("after a drop", probes)
	tab.reset()
	clear(want)
	check("after a reset", probes)
	tab.put(keys[0], 9, false, 16)
	want[keys[0]] = 9
	check("after a put into the reset table", probes)
}

// TestWaitTableRoom: a table given room for the filing's limit keeps its
// entries where they were put until it holds that many: the list is made
// once, not copied at every growth on the way (a fifth of a first
// backup's page faults).
func TestWaitTableRoom(t *testing.T) {
	const room = 1 << 16
	var tab waitTable
	var first *filedBlob
	for i := range room {
		var h Hash
		h[0], h[13], h[14], h[15] = byte(i), byte(i>>16), byte(i>>8), byte(i) // apart in the slot's low bits
		tab.put(h, uint64(i+1), false, room)
		if i == 0 {
			first = &tab.list[0]
		}
	}
	if tab.len() != room {
		t.Fatalf("%d entries, want %d", tab.len(), room)
	}
	if &tab.list[0] != first {
		t.Errorf("the list moved while it grew to the room it was given (capacity now %d)", cap(tab.list))
	}
}

// TestWaitingSorted: the waiting entries come out in the hashes' byte
// order, each once with its id, also among hashes that share their first
// eight bytes and differ only after them (sorted apart from the integer
// keys the rest is sorted by).
func TestWaitingSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 3, 1000, 70_000} {
		u := newUnfiled(1 << 16)
		want := make(map[Hash]uint64, n)
		var shared Hash
		for i := range n {
			var h Hash
			for j := range h {
				h[j] = byte(rng.UintN(256))
			}
			if i%5 == 0 {
				copy(h[:8], shared[:8]) // the same first bytes, told apart later
				if i%10 == 0 {
					h[8] = 0
				}
			}
			if i%50 == 0 {
				shared[rng.IntN(8)]++
			}
			want[h] = uint64(i + 1)
			u.add(h, uint64(i+1), true)
		}
		got := u.waiting()
		if len(got) != len(want) {
			t.Fatalf("%d entries: waiting lists %d", len(want), len(got))
		}
		for i, b := range got {
			if want[b.hash] != b.id {
				t.Fatalf("%d entries: %s -> %d, want %d", len(want), b.hash.Short(), b.id, want[b.hash])
			}
			if i > 0 && bytes.Compare(got[i-1].hash[:], b.hash[:]) >= 0 {
				t.Fatalf("%d entries: %x before %x", len(want), got[i-1].hash, b.hash)
			}
		}
	}
}
