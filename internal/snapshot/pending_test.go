package snapshot

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// TestPendingLaterPutWins checks that the latest Put of a key is the one a
// snapshot keeps, whether the earlier Put is in the same batch or in an
// earlier one, in several collections.
func TestPendingLaterPutWins(t *testing.T) {
	t.Parallel()
	db := openTestOpts(t, Options{BatchObjects: 7})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]Hash{}
	put := func(parent string, id, rev int) {
		t.Helper()
		raw := item(id, rev)
		if err := w.Put("items", parent, fmt.Sprint(id), raw); err != nil {
			t.Fatal(err)
		}
		h, err := ContentHash(raw)
		if err != nil {
			t.Fatal(err)
		}
		coll := CollectionName("items", parent)
		if want[coll] == nil {
			want[coll] = map[string]Hash{}
		}
		want[coll][fmt.Sprint(id)] = h
	}
	for rev := range 3 {
		for id := 1; id <= 40; id++ {
			parent := []string{"contracts", "leads"}[id%2]
			put(parent, id, rev)
			if id%5 == 0 {
				put(parent, id, rev+10) // in the same batch, mostly
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 40 {
		t.Errorf("snapshot of %d objects, want 40", s.Objects)
	}
	for coll, objs := range want {
		keys, hashes := walkAll(t, db, s, coll)
		got := map[string]Hash{}
		for i, k := range keys {
			got[k] = hashes[i]
		}
		if diff := cmp.Diff(objs, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", coll, diff)
		}
	}
	if got := count(t, db, bucketPending); got != 0 {
		t.Errorf("%d pending keys after the commit, want 0", got)
	}
}

// TestPendingOldLayout checks that pending entries in the layout of format
// 3 and before (a bucket per collection, a key per entry), which only a
// process of an older build that died can leave, keep their blobs through
// a prune and are discarded by the next read-write open, which records
// the run as aborted.
func TestPendingOldLayout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(t, db, "acme", 20, same)
	blobs := countBlobs(t, db)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 3; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 5)); err != nil {
			t.Fatal(err)
		}
	}
	// The run's blobs are written, then its entries are put back in the
	// old layout.
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	err = w.flushLocked()
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := forEachPending(tx, func(_ []byte, id uint64) error { ids = append(ids, id); return nil }); err != nil {
			return err
		}
		pb := tx.Bucket(bucketPending)
		if err := pb.DeleteBucket([]byte(w.ID())); err != nil {
			return err
		}
		run, err := pb.CreateBucket([]byte(w.ID()))
		if err != nil {
			return err
		}
		cb, err := run.CreateBucket([]byte("items/contracts"))
		if err != nil {
			return err
		}
		for i, id := range ids {
			if err := cb.Put(sortKey(fmt.Sprint(i+1)), idValue(id)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("%d pending entries, want 3", len(ids))
	}
	var again []uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return forEachPending(tx, func(_ []byte, id uint64) error { again = append(again, id); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, again) {
		t.Errorf("old layout read as %v, want %v", again, ids)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if got := countBlobs(t, db); got != blobs+3 {
		t.Errorf("%d blobs after a prune, want %d: the pending run's kept", got, blobs+3)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTestAt(t, path)
	if rec := db.Recovered(); len(rec) != 1 || rec[0].ID != w.ID() {
		t.Errorf("recovered %+v, want run %s", rec, w.ID())
	}
	if got := count(t, db, bucketPending); got != 0 {
		t.Errorf("%d pending keys after recovery, want 0", got)
	}
	if got := countBlobs(t, db); got != blobs {
		t.Errorf("%d blobs after recovery, want %d", got, blobs)
	}
	if keys, _ := walkAll(t, db, snap, "items/contracts"); len(keys) != 20 {
		t.Errorf("%d objects in the earlier snapshot, want 20", len(keys))
	}
}

// openTestAt opens the database at path as openTest does.
func openTestAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkFile(t, path)
	})
	return db
}

// FuzzPendingRecord feeds damaged pending records to the reader: it must
// fail or succeed, never panic, and the entries of a record it accepts
// must survive an encode-decode round trip unchanged.
func FuzzPendingRecord(f *testing.F) {
	batch := []pending{
		{coll: []byte("items/contracts"), key: sortKey("1"), hash: Hash{1}},
		{coll: []byte("items/contracts"), key: sortKey("20"), hash: Hash{2}},
		{coll: []byte("types"), key: sortKey("abc"), hash: Hash{3}},
	}
	f.Add(encodePending(batch, map[Hash]uint64{{1}: 5, {2}: 1 << 40, {3}: 2}))
	f.Add([]byte{pendingFormat})
	f.Add([]byte{pendingFormat, 1, 'a', 255, 255, 255, 255, 15})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rec []byte) {
		r, err := newPendingReader(0, rec)
		if err != nil {
			return
		}
		var got []pending
		ids := map[Hash]uint64{}
		for r.next() {
			h := Hash{byte(len(got)), byte(len(got) >> 8), byte(len(got) >> 16)}
			got = append(got, pending{coll: bytes.Clone(r.coll), key: r.key, hash: h})
			ids[h] = r.id
		}
		if r.d.err != nil || len(got) == 0 {
			return
		}
		r, err = newPendingReader(0, encodePending(got, ids))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; r.next(); i++ {
			p := got[i]
			if !bytes.Equal(r.coll, p.coll) || !bytes.Equal(r.key, p.key) || r.id != ids[p.hash] {
				t.Fatalf("entry %d: %q %q %d, want %q %q %d", i, r.coll, r.key, r.id, p.coll, p.key, ids[p.hash])
			}
		}
		if r.d.err != nil {
			t.Fatal(r.d.err)
		}
	})
}
