package snapshot

import (
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
)

// TestChunkIndexFullKeys checks that chunk index entries under the whole
// hash, as format 3 and before filed them, still deduplicate: a snapshot of
// unchanged objects stores no chunk and gets the same root, and the file
// verifies.
func TestChunkIndexFullKeys(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 3000, same)
	chunks := count(t, db, bucketChunks)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		index, recs := tx.Bucket(bucketChunkIndex), tx.Bucket(bucketChunks)
		var keys [][]byte
		if err := index.ForEach(func(k, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
			return err
		}
		for _, k := range keys {
			if len(k) != chunkKeyLen {
				return fmt.Errorf("index key of %d bytes, want %d", len(k), chunkKeyLen)
			}
			v := index.Get(k)
			id, _ := idFromValue(v)
			h := hashOf(recs.Get(idKey(id)))
			if err := index.Put(h[:], v); err != nil {
				return err
			}
			if err := index.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s2 := snapshotOf(t, db, "acme", 3000, same)
	if got := count(t, db, bucketChunks); got != chunks {
		t.Errorf("%d chunks after an unchanged snapshot, want %d", got, chunks)
	}
	if s2.Collections["items/contracts"] != s1.Collections["items/contracts"] {
		t.Error("unchanged collection has a new root")
	}
	rep, err := db.Verify(false, nil)
	if err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
}

// TestChunkIndexShortKeyTaken checks a chunk whose short key another
// record holds (a collision, or a damaged chunk whose bytes no longer
// match): it is not taken for that record, it is stored under its whole
// hash, found there, and verifies.
func TestChunkIndexShortKeyTaken(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	rollback := errors.New("rollback")
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		chunks, index := tx.Bucket(bucketChunks), tx.Bucket(bucketChunkIndex)
		x := encodeChunk([]entry{{key: sortKey("1"), id: 1}})
		y := encodeChunk([]entry{{key: sortKey("2"), id: 1}})
		hx, hy := hashOf(x), hashOf(y)
		idX, err := storeChunkNow(chunks, index, hx, x)
		if err != nil {
			return err
		}
		if got := findChunk(chunks, index, hx, x); got != idX {
			t.Errorf("findChunk(x) = %d, want %d", got, idX)
		}
		// y's short key names x.
		if err := index.Put(hy[:chunkKeyLen], idValue(idX)); err != nil {
			return err
		}
		if got := findChunk(chunks, index, hy, y); got != 0 {
			t.Errorf("findChunk(y) = %d before y is stored, want 0", got)
		}
		idY, _, err := storeRecord(chunks, y)
		if err != nil {
			return err
		}
		n, err := fileChunk(index, hy, idY)
		if err != nil {
			return err
		}
		if want := int64(len(hy) + len(idValue(idY))); n != want {
			t.Errorf("fileChunk wrote %d bytes, want %d (the whole hash as key)", n, want)
		}
		if got := findChunk(chunks, index, hy, y); got != idY || idY == idX {
			t.Errorf("findChunk(y) = %d, want %d (not %d)", got, idY, idX)
		}
		if !chunkIndexed(index, hy, idY) || !chunkIndexed(index, hx, idX) {
			t.Error("chunkIndexed disagrees with the index")
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
}

// storeChunkNow stores enc as a chunk record and files its index entry.
func storeChunkNow(chunks, index *bbolt.Bucket, h Hash, enc []byte) (uint64, error) {
	id, _, err := storeRecord(chunks, enc)
	if err == nil {
		_, err = fileChunk(index, h, id)
	}
	return id, err
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
	chunks, entries := count(t, db, bucketChunks), count(t, db, bucketChunkIndex)
	if chunks == 0 || chunks != entries {
		t.Errorf("%d chunks, %d chunk index entries; want as many", chunks, entries)
	}
	s2 := put()
	if got := count(t, db, bucketChunks); got != chunks || s2.Collections["items/a"] != s1.Collections["items/a"] {
		t.Errorf("an unchanged snapshot stored %d chunks", got-chunks)
	}
}
