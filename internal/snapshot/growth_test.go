package snapshot

import (
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
)

// TestGrowth checks the promise on database growth: a snapshot of an
// unchanged workspace adds nothing but its record, and after 1% of the
// objects changed the snapshot's added_bytes (every new record: blobs, chunks,
// roots, index entries, the snapshot and run records) stays within 3x of the
// compressed size of the changed objects. It also checks that added_bytes is
// exact: the key and value bytes the database gained. Then one object
// changes, which must add less than 8 KiB at any size. The 100,000-object
// case runs only without the race detector, which makes it too slow.
func TestGrowth(t *testing.T) {
	t.Parallel()
	for _, n := range []int{10_000, 100_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if n > 10_000 && (testing.Short() || raceEnabled) {
				// About 5 s alone, 40 s under the race detector.
				t.Skip("100,000 objects: run without -race and -short")
			}
			t.Parallel()
			testGrowth(t, n)
		})
	}
}

func testGrowth(t *testing.T, n int) {
	const coll = "items/contracts"
	db := openTest(t)
	db.fullTrees = true // the growth of full trees; patches: TestPatchWritten, BenchmarkTreeStorage
	s1 := snapshotOf(t, db, "acme", n, same)
	file1, err := db.Size()
	if err != nil {
		t.Fatal(err)
	}
	used1, rec1 := db.usedBytes(), recordBytes(t, db)
	checkAdded(t, "first", s1, nil, rec1)
	t.Logf("first snapshot: %d objects, added %d bytes, file %d bytes (%d in use)", n, s1.AddedBytes, file1, used1)

	// An unchanged second snapshot (checked at the smaller size only, to
	// keep the test fast: its cost does not depend on the size).
	s2, rec2 := s1, rec1
	file2, used2 := file1, used1
	if n <= 10_000 {
		s2 = snapshotOf(t, db, "acme", n, same)
		file2, _ = db.Size()
		used2, rec2 = db.usedBytes(), recordBytes(t, db)
		checkAdded(t, "unchanged", s2, rec1, rec2)
		t.Logf("unchanged second: added %d bytes (its records), file growth %d bytes, in-use growth %d bytes", s2.AddedBytes, file2-file1, used2-used1)
		if s2.AddedBytes*100 >= s1.AddedBytes {
			t.Errorf("unchanged snapshot added %d bytes, want < 1%% of %d", s2.AddedBytes, s1.AddedBytes)
		}
		// bbolt copies a few pages on write in any transaction: with
		// packs, the first snapshot's file is small enough for those to
		// pass 1% of it, so 64 KiB are allowed whatever the size.
		if (file2-file1)*100 >= max(file1, 64<<10*100) || (used2-used1)*100 >= max(used1, 64<<10*100) {
			t.Errorf("unchanged snapshot grew the file by %d (in use %d), want < 1%% of %d (%d)", file2-file1, used2-used1, file1, used1)
		}
		if s2.Collections[coll] != s1.Collections[coll] {
			t.Errorf("unchanged collection has a new root")
		}
	}

	// 1% of the objects change, scattered: every 100th.
	changed := func(id int) int {
		if id%100 == 0 {
			return 1
		}
		return 0
	}
	var packed int64
	for id := 100; id <= n; id += 100 {
		c, err := compressTo(nil, item(id, 1))
		if err != nil {
			t.Fatal(err)
		}
		packed += int64(len(c))
	}
	s3 := snapshotOf(t, db, "acme", n, changed)
	file3, _ := db.Size()
	used3, rec3 := db.usedBytes(), recordBytes(t, db)
	checkAdded(t, "1% changed", s3, rec2, rec3)

	refs2 := mustRefs(t, db, s2, coll)
	refs3 := mustRefs(t, db, s3, coll)
	_, fresh := dropShared(refs2, refs3)
	d := func(b []byte) int64 { return rec3[string(b)] - rec2[string(b)] }
	t.Logf("1%% changed (%d objects, %d bytes compressed): added %d bytes = %.2fx: blobs %d + blob index %d, chunks %d (%d new of %d, %.0f bytes each) + chunk index %d, root %d, records %d; file growth %d, in-use growth %d",
		n/100, packed, s3.AddedBytes, float64(s3.AddedBytes)/float64(packed),
		d(bucketBlobs)+d(bucketPacks), d(bucketBlobGroups), d(bucketChunks), len(fresh), len(refs3), float64(d(bucketChunks))/float64(len(fresh)),
		d(bucketChunkGroups), d(bucketRoots), d(bucketSnapshots)+d(bucketRuns), file3-file2, used3-used2)
	if s3.AddedBytes > 3*packed {
		t.Errorf("1%% change added %d bytes, want at most 3x the %d bytes of the changed objects compressed", s3.AddedBytes, packed)
	}
	if len(fresh) > n/100 {
		t.Errorf("%d new chunks for %d changed objects", len(fresh), n/100)
	}

	var diffs []string
	before := db.chunkReads.Load()
	if err := db.DiffCollection(s2, s3, coll, func(k string, old, new Hash) error {
		diffs = append(diffs, k)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	reads := db.chunkReads.Load() - before
	if len(diffs) != n/100 || diffs[0] != "100" || diffs[len(diffs)-1] != fmt.Sprint(n) {
		t.Errorf("diff reports %d keys (%v...), want the %d changed", len(diffs), diffs[:min(3, len(diffs))], n/100)
	}
	if reads != int64(2*len(fresh)) {
		t.Errorf("diff read %d chunks, want %d (the changed ones on each side)", reads, 2*len(fresh))
	}
	testGrowthOne(t, db, s3, changed, rec3)
}

// testGrowthOne checks that one changed object costs its blob, one chunk
// and one index node per level, whatever the collection's size, and that
// the diff reads only those.
func testGrowthOne(t *testing.T, db *DB, prev *Snapshot, rev func(int) int, recPrev map[string]int64) {
	const coll = "items/contracts"
	n := prev.Collections[coll].Count
	one := n/2 + 1
	s := snapshotOf(t, db, "acme", n, func(id int) int {
		if id == one {
			return rev(id) + 2
		}
		return rev(id)
	})
	rec := recordBytes(t, db)
	checkAdded(t, "one changed", s, recPrev, rec)
	level, _, err := db.loadRoot(s.Collections[coll].Root)
	if err != nil {
		t.Fatal(err)
	}
	d := func(b []byte) int64 { return rec[string(b)] - recPrev[string(b)] }
	t.Logf("one changed: added %d bytes: blobs %d + blob index %d, chunks and index nodes %d + chunk index %d, root %d (level %d), records %d",
		s.AddedBytes, d(bucketBlobs)+d(bucketPacks), d(bucketBlobGroups), d(bucketChunks), d(bucketChunkGroups), d(bucketRoots), level, d(bucketSnapshots)+d(bucketRuns))
	if s.AddedBytes >= 8<<10 {
		t.Errorf("one changed object of %d added %d bytes, want < 8 KiB", n, s.AddedBytes)
	}
	chunkBefore, indexBefore := db.chunkReads.Load(), db.indexReads.Load()
	var diffs []string
	if err := db.DiffCollection(prev, s, coll, func(k string, _, _ Hash) error {
		diffs = append(diffs, k)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	chunkReads, indexReads := db.chunkReads.Load()-chunkBefore, db.indexReads.Load()-indexBefore
	if len(diffs) != 1 || diffs[0] != fmt.Sprint(one) {
		t.Errorf("diff = %v, want [%d]", diffs, one)
	}
	if chunkReads != 2 || indexReads != int64(2*(level-1)) {
		t.Errorf("diff read %d chunks and %d index nodes, want 2 and %d", chunkReads, indexReads, 2*(level-1))
	}
}

// recordBytes returns the key and value bytes of the records of each
// top-level bucket, nested buckets included.
func recordBytes(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	var walk func(b *bbolt.Bucket) int64
	walk = func(b *bbolt.Bucket) int64 {
		var n int64
		_ = b.ForEach(func(k, v []byte) error {
			if v == nil {
				n += walk(b.Bucket(k))
			} else {
				n += int64(len(k) + len(v))
			}
			return nil
		})
		return n
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			switch string(name) {
			case string(bucketMeta): // the format and the watermark
			case string(bucketWaitPrefixes): // the waiting entries' prefixes, deleted when they are filed
			case string(bucketBlobGroups), string(bucketChunkGroups): // entries, not the groups' keys and headers
				return b.ForEach(func(_, v []byte) error {
					g, err := decodeGroup(v)
					out[string(name)] += int64(g.len() * entrySize)
					return err
				})
			default:
				out[string(name)] = walk(b)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	// A run counts its blobs' index entries whether they are filed yet or
	// still wait (unfiled.go).
	for range db.unfiled.waiting() {
		out[string(bucketBlobGroups)] += entrySize
	}
	return out
}

// checkAdded checks that a snapshot's added_bytes is what the database's
// records gained from before to after (nil: an empty database).
func checkAdded(t *testing.T, what string, s *Snapshot, before, after map[string]int64) {
	t.Helper()
	var gained int64
	for name, n := range after {
		if name != string(bucketMeta) {
			gained += n - before[name]
		}
	}
	if gained != s.AddedBytes {
		t.Errorf("%s snapshot: added_bytes %d, but the records gained %d bytes", what, s.AddedBytes, gained)
	}
}
