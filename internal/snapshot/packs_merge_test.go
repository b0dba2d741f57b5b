package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// keyIDs returns pack keys as ids.
func keyIDs(keys [][]byte) []uint64 {
	out := make([]uint64, len(keys))
	for i, k := range keys {
		out[i] = binary.BigEndian.Uint64(k)
	}
	return out
}

// packKeys returns the packs bucket's keys and records, in order.
func packRecords(t *testing.T, db *DB) (keys, recs [][]byte) {
	t.Helper()
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPacks).ForEach(func(k, v []byte) error {
			keys, recs = append(keys, bytes.Clone(k)), append(recs, bytes.Clone(v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return keys, recs
}

// checkItems reads every object of s back, collection-wide and one by
// one, against item(id, rev(id)).
func checkItems(t *testing.T, db *DB, s *Snapshot, n int, rev func(int) int) {
	t.Helper()
	seen := 0
	err := db.WalkObjects(s, "items/contracts", func(k string, raw []byte) error {
		seen++
		if want := item(seen, rev(seen)); k != fmt.Sprint(seen) || !bytes.Equal(raw, want) {
			return fmt.Errorf("key %s: %q", k, raw)
		}
		return nil
	})
	if err != nil || seen != n {
		t.Fatalf("walk: %d objects, %v", seen, err)
	}
	for id := 1; id <= n; id += 7 {
		raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(id))
		if err != nil || !ok || !bytes.Equal(raw, item(id, rev(id))) {
			t.Fatalf("lookup %d: %q %v %v", id, raw, ok, err)
		}
	}
}

// TestDailyRunMergesSmallPacks: a run that changes few objects a batch
// leaves one pack for its new objects, not one a batch; every object
// still reads, the next run finds the merged objects stored (no new
// pack), and the file verifies with its data read (openTestOpts).
func TestDailyRunMergesSmallPacks(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 200})
	const n = 2000
	snapshotOf(t, db, "acme", n, same)
	first := count(t, db, bucketPacks)
	changed := func(id int) int {
		if id%50 == 0 {
			return 1
		}
		return 0
	}
	s2 := snapshotOf(t, db, "acme", n, changed) // 40 new objects over 10 batches
	if got := count(t, db, bucketPacks); got != first+1 {
		t.Fatalf("%d packs after a run of 40 new objects in 10 batches, want %d (one more)", got, first+1)
	}
	checkItems(t, db, s2, n, changed)
	blobs := countBlobs(t, db)
	s3 := snapshotOf(t, db, "acme", n, changed)
	if got := count(t, db, bucketPacks); got != first+1 || countBlobs(t, db) != blobs {
		t.Fatalf("an unchanged run stored blobs: %d packs (want %d), %d blobs (want %d)", got, first+1, countBlobs(t, db), blobs)
	}
	checkItems(t, db, s3, n, changed)
	if s2.AddedBytes >= s3.AddedBytes+40*int64(len(item(1, 0))) {
		t.Errorf("run 2 added %d bytes, more than its 40 objects raw", s2.AddedBytes)
	}
}

// mergeAroundBadPack commits 60 objects in small packs (a dozen or more),
// replaces the middle one's record by spoil's, merges them all, and
// checks that the spoiled pack stays as it was, between two merged
// packs. It returns the database, the snapshot and the spoiled pack's
// record.
func mergeAroundBadPack(t *testing.T, spoil func(t *testing.T, rec []byte) []byte) (*DB, *Snapshot, []byte) {
	t.Helper()
	defer func(p int) { packTarget = p }(packTarget)
	db, err := Open(filepath.Join(t.TempDir(), "snapshots.db"), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	packTarget = 1 << 10 // packs of about three objects, none small
	s := snapshotOf(t, db, "acme", 60, same)
	packTarget = 128 << 10 // now every pack is small
	keys, recs := packRecords(t, db)
	if len(keys) < 10 {
		t.Fatalf("%d packs, want a dozen or more", len(keys))
	}
	bad := len(keys) / 2
	spoiled := spoil(t, bytes.Clone(recs[bad]))
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketPacks).Put(keys[bad], spoiled) }); err != nil {
		t.Fatal(err)
	}
	db.gc.RLock()
	_, err = db.mergeSmallPacks(keyIDs(keys))
	db.gc.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	after, afterRecs := packRecords(t, db)
	if len(after) != 3 || !bytes.Equal(after[0], keys[0]) || !bytes.Equal(after[1], keys[bad]) || !bytes.Equal(after[2], keys[bad+1]) {
		t.Fatalf("packs filed under %x after the merge, want %x %x %x (before, spoiled, after)", after, keys[0], keys[bad], keys[bad+1])
	}
	if !bytes.Equal(afterRecs[1], spoiled) {
		t.Fatal("the spoiled pack was rewritten")
	}
	return db, s, spoiled
}

// TestMergeLeavesDamagedPackAlone: a small pack that fails its checksum
// is neither merged nor rewritten; the small packs on each side of it are
// merged apart, and their objects still read.
func TestMergeLeavesDamagedPackAlone(t *testing.T) {
	db, s, damaged := mergeAroundBadPack(t, func(_ *testing.T, rec []byte) []byte {
		rec[len(rec)-3] ^= 0x55
		return rec
	})
	p, _ := decodePack(damaged)
	lost := map[string]bool{}
	for _, id := range p.ids {
		lost[fmt.Sprint(id)] = true // blob ids are the item ids here: one run, in order
	}
	for id := 1; id <= 60; id++ {
		raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(id))
		if lost[fmt.Sprint(id)] {
			if err == nil {
				t.Errorf("item %d of the damaged pack read without error", id)
			}
			continue
		}
		if err != nil || !ok || !bytes.Equal(raw, item(id, 0)) {
			t.Errorf("lookup %d: %q %v %v", id, raw, ok, err)
		}
	}
}

// TestMergeTakesOnlyTheRunsOwnPacks: small packs other runs left (here
// from before small packs were merged) stay as they are, and the
// snapshot of a run that stored nothing adds a positive number of bytes
// (its records), not the bytes a merge of others' packs saved.
func TestMergeTakesOnlyTheRunsOwnPacks(t *testing.T) {
	defer func(p int) { packTarget = p }(packTarget)
	db := openTestOpts(t, Options{BatchObjects: 200})
	packTarget = 1 << 10 // packs of a few objects: none small while written
	snapshotOf(t, db, "acme", 600, same)
	packTarget = 128 << 10 // now all of them are
	before := count(t, db, bucketPacks)
	s := snapshotOf(t, db, "acme", 600, same) // nothing new
	if got := count(t, db, bucketPacks); got != before {
		t.Errorf("%d packs after an unchanged run, want the %d there were", got, before)
	}
	if s.AddedBytes <= 0 {
		t.Errorf("an unchanged run added %d bytes", s.AddedBytes)
	}
}

// TestMergeLeavesARunningRunsPacks: in one process (the daemon), a run
// that commits does not merge the packs of another still running; when
// that one aborts, the prune after it deletes all of its blobs.
func TestMergeLeavesARunningRunsPacks(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 50})
	snapshotOf(t, db, "ws2", 2000, same)
	base := countBlobs(t, db)
	w1, err := db.Begin("ws1", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 50; id++ {
		if err := w1.Put("items", "contracts", fmt.Sprint(id), item(id, 7)); err != nil {
			t.Fatal(err)
		}
	}
	settle(w1)
	snapshotOf(t, db, "ws2", 2000, func(id int) int {
		if id <= 100 {
			return 1
		}
		return 0
	})
	if err := w1.Abort(errors.New("stopped")); err != nil {
		t.Fatal(err)
	}
	if got := countBlobs(t, db); got != base+100 {
		t.Errorf("%d blob versions after the abort, want %d: the aborted run's are kept in a merged pack", got, base+100)
	}
}

// TestMergeSplitsAtAPackThatIsNotJSON: a pack whose checksum holds but
// one of whose blobs is not JSON stays as it is; the small packs on each
// side of it still merge.
func TestMergeSplitsAtAPackThatIsNotJSON(t *testing.T) {
	mergeAroundBadPack(t, func(t *testing.T, rec []byte) []byte {
		p, err := decodePack(rec)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := p.unpack()
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.Clone(raw)
		raw[0] = 'X' // its first blob is no longer JSON
		frame, err := compressPack(nil, raw)
		if err != nil {
			t.Fatal(err)
		}
		return encodePack(p.ids, p.lens, frame)
	})
}
