package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestChunkIndexPrefixCollision checks two chunks under one prefix, as
// two hashes that share their first 6 bytes would be: a chunk whose
// prefix names another record is not taken for it; it is stored, its
// entry joins the other, both are found and indexed.
func TestChunkIndexPrefixCollision(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	rollback := errors.New("rollback")
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		chunks := tx.Bucket(bucketChunks)
		x := encodeChunk([]entry{{key: sortKey("1"), id: 1}})
		y := encodeChunk([]entry{{key: sortKey("2"), id: 1}})
		hx, hy := hashOf(x), hashOf(y)
		idX, _, err := storeRecord(chunks, x)
		if err != nil {
			return err
		}
		// x filed under its own prefix and under y's: a collision.
		if err := chunkIndex.file(tx, []indexEntry{{prefixOf(hx), idX}, {prefixOf(hy), idX}}); err != nil {
			return err
		}
		if got := findChunk(tx, hx, x); got != idX {
			t.Errorf("findChunk(x) = %d, want %d", got, idX)
		}
		if got := findChunk(tx, hy, y); got != 0 {
			t.Errorf("findChunk(y) = %d before y is stored, want 0", got)
		}
		idY, _, err := storeRecord(chunks, y)
		if err != nil {
			return err
		}
		if err := chunkIndex.file(tx, []indexEntry{{prefixOf(hy), idY}}); err != nil {
			return err
		}
		var buf [2]uint64
		if got := chunkIndex.candidates(tx, hy, buf[:0]); len(got) != 2 {
			t.Errorf("candidates of y's prefix = %v, want x's id and y's", got)
		}
		if got := findChunk(tx, hy, y); got != idY || idY == idX {
			t.Errorf("findChunk(y) = %d, want %d (not %d)", got, idY, idX)
		}
		if !chunkIndexed(tx, hy, idY) || !chunkIndexed(tx, hx, idX) {
			t.Error("chunkIndexed disagrees with the index")
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
}

// TestChunkIndexCollisionInBackup files each chunk of a snapshot also
// under the prefix of the chunk filed after it, as if their hashes
// shared it: an unchanged snapshot still stores no chunk and keeps its
// root, the file verifies, and prune removes every entry with its chunks.
func TestChunkIndexCollisionInBackup(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 3000, same)
	chunks := count(t, db, bucketChunks)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var es []indexEntry
		var prev uint64
		err := tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			id, _ := idFromKey(k)
			if prev != 0 {
				es = append(es, indexEntry{prefixOf(hashOf(v)), prev})
			}
			prev = id
			return nil
		})
		if err != nil {
			return err
		}
		return chunkIndex.file(tx, es)
	}); err != nil {
		t.Fatal(err)
	}
	if n := countIndex(t, db, chunkIndex); n != 2*chunks-1 {
		t.Fatalf("%d index entries, want %d", n, 2*chunks-1)
	}
	s2 := snapshotOf(t, db, "acme", 3000, same)
	if got := count(t, db, bucketChunks); got != chunks {
		t.Errorf("%d chunks after an unchanged snapshot, want %d", got, chunks)
	}
	if s2.Collections["items/contracts"] != s1.Collections["items/contracts"] {
		t.Error("unchanged collection has a new root")
	}
	if rep, err := db.Verify(false, nil); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
	if err := db.Forget(s1.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if n, idx := count(t, db, bucketChunks), countIndex(t, db, chunkIndex); n != 0 || idx != 0 {
		t.Errorf("%d chunks, %d index entries left with no snapshot", n, idx)
	}
}

// TestChunkIndexDamagedGroupRebuilt damages the chunk index's first
// group: Verify names the chunks it filed as not indexed, and the next
// commit's filing rebuilds the group from the chunks' bytes, after which
// the file verifies again.
func TestChunkIndexDamagedGroupRebuilt(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	snapshotOf(t, db, "acme", 3000, same)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketChunkGroups).Cursor().First()
		return tx.Bucket(bucketChunkGroups).Put(bytes.Clone(k), []byte("not a group"))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) < 2 || !strings.Contains(rep.Problems[0].Err, "the chunk index group") || !strings.Contains(rep.Problems[1].Err, "does not hash to its index entry") {
		t.Fatalf("verify of a damaged chunk group: %v, want chunks not indexed", rep.Problems)
	}
	snapshotOf(t, db, "acme", 3000, func(id int) int { return id % 2 })
	if rep, err := db.Verify(false, nil); err != nil || !rep.OK() {
		t.Fatalf("verify after the next commit: %v, %v", rep.Problems, err)
	}
	if n, idx := count(t, db, bucketChunks), countIndex(t, db, chunkIndex); n != idx {
		t.Errorf("%d chunks, %d index entries", n, idx)
	}
}

// TestChunkIndexFiledAfterTrees checks that a commit files the index
// entries of every chunk and index node it stored, each chunk stored once
// even when a collection repeats another's chunks in the same commit, and
// that an unchanged collection in the next snapshot stores nothing.
func TestChunkIndexFiledAfterTrees(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	put := func() *Snapshot {
		w, err := db.Begin("acme", t0)
		if err != nil {
			t.Fatal(err)
		}
		for _, parent := range []string{"a", "b"} { // same keys and blobs
			for id := 1; id <= 3000; id++ {
				if err := w.Put("items", parent, fmt.Sprint(id), item(id, 0)); err != nil {
					t.Fatal(err)
				}
			}
		}
		s, err := w.Commit(CommitInfo{FinishedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := put()
	if a, b := s1.Collections["items/a"], s1.Collections["items/b"]; a.Root != b.Root || a.Count != 3000 {
		t.Errorf("collections of the same entries: %+v, %+v; want one root", a, b)
	}
	chunks, entries := count(t, db, bucketChunks), countIndex(t, db, chunkIndex)
	if chunks == 0 || chunks != entries {
		t.Errorf("%d chunks, %d chunk index entries; want as many", chunks, entries)
	}
	s2 := put()
	if got := count(t, db, bucketChunks); got != chunks || s2.Collections["items/a"] != s1.Collections["items/a"] {
		t.Errorf("an unchanged snapshot stored %d chunks", got-chunks)
	}
}

// TestChunkIndexFilingAcrossGroups files commits' entries into an index
// of several groups: every entry is found under its hash, and no group
// outgrows groupMax.
func TestChunkIndexFilingAcrossGroups(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	var hashes []Hash
	file := func(from, to int) {
		t.Helper()
		s := chunkStore{fresh: map[Hash]uint64{}}
		for i := from; i < to; i++ {
			h := hashOf(fmt.Appendf(nil, "chunk %d", i))
			hashes = append(hashes, h)
			s.fresh[h] = uint64(i + 1)
		}
		added, err := s.file(db)
		if err != nil || added != int64((to-from)*entrySize) {
			t.Fatalf("file = %d, %v; want %d bytes", added, err, (to-from)*entrySize)
		}
	}
	file(0, 60_000)      // a first commit, cut into groups
	file(60_000, 61_000) // a day's
	file(61_000, 70_000) // groups split
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		groups := 0
		err := tx.Bucket(bucketChunkGroups).ForEach(func(_, v []byte) error {
			g, err := decodeGroup(v)
			if err == nil && g.len() > groupMax {
				t.Errorf("a group of %d entries", g.len())
			}
			groups++
			return err
		})
		if groups < 2 {
			t.Errorf("%d groups", groups)
		}
		for i, h := range hashes {
			if !chunkIndexed(tx, h, uint64(i+1)) {
				t.Fatalf("entry %d not found under its hash", i+1)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := countIndex(t, db, chunkIndex); n != len(hashes) {
		t.Errorf("%d entries, want %d", n, len(hashes))
	}
}

// TestChunkDamagedNotReused damages a chunk's bytes (it still decodes):
// the next snapshot of the same entries does not reuse it but stores the
// chunk afresh, reads back whole, and Verify names only the old snapshot.
func TestChunkDamagedNotReused(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	db.fullTrees = true // the next snapshot's chunks, not a patch
	s1 := snapshotOf(t, db, "acme", 100, same)
	refs := mustRefs(t, db, s1, "items/contracts")
	var saved []byte
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		saved = bytes.Clone(tx.Bucket(bucketChunks).Get(idKey(refs[1].id)))
		v := bytes.Clone(saved)
		v[len(v)-1] ^= 1 // the last blob id
		return tx.Bucket(bucketChunks).Put(idKey(refs[1].id), v)
	}); err != nil {
		t.Fatal(err)
	}
	chunks := count(t, db, bucketChunks)
	s2 := snapshotOf(t, db, "acme", 100, same)
	if got := count(t, db, bucketChunks); got != chunks+1 {
		t.Errorf("the next snapshot stored %d chunks, want the damaged one afresh", got-chunks)
	}
	if s2.Collections["items/contracts"].Root == s1.Collections["items/contracts"].Root {
		t.Error("the next snapshot shares the damaged tree")
	}
	if keys, _ := walkAll(t, db, s2, "items/contracts"); len(keys) != 100 {
		t.Errorf("the next snapshot has %d keys, want 100", len(keys))
	}
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) == 0 {
		t.Error("verify found nothing")
	}
	for _, p := range rep.Problems {
		if p.Snapshot != s1.ID {
			t.Errorf("problem in snapshot %s: %s; want only the old one's", p.Snapshot, p.Err)
		}
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketChunks).Put(idKey(refs[1].id), saved) }); err != nil {
		t.Fatal(err)
	}
}
