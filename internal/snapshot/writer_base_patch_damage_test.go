package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// damagedChain commits a full tree of 2000 items, then damages the
// chunk list of its collection with hurt, and commits a based run that
// changes item 5 and removes item 1995 (far from the chunks 5-6 in the
// middle). It returns the commit's snapshot and error.
func damagedChain(t *testing.T, whole bool, hurt func(tx *bbolt.Tx, refs []chunkRef) error, removeMid bool) (*DB, *Snapshot, *Snapshot, error) {
	db := openTestNoVerify(t)
	db.wholeBasePatch = whole
	cur := model{"items/contracts": {}}
	for id := 1; id <= 2000; id++ {
		cur["items/contracts"][fmt.Sprint(id)] = item(id, 0)
	}
	s1 := commitBasedSorted(t, db, t0, nil, nil, cur)
	refs, err := db.collectionRefs(s1, "items/contracts")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return hurt(tx, refs) }); err != nil {
		t.Fatal(err)
	}
	w, err := db.BeginFrom(s1, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "5", item(5, 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete("items", "contracts", "1995"); err != nil {
		t.Fatal(err)
	}
	if removeMid {
		k, _ := keyText(refs[5].first)
		if err := w.Delete("items", "contracts", k); err != nil {
			t.Fatal(err)
		}
		n := 0
		fmt.Sscan(k, &n)
		if err := w.Put("items", "contracts", fmt.Sprint(n+1), item(n+1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	s2, err := w.Commit(CommitInfo{FinishedAt: t0.Add(2 * time.Hour)})
	return db, s1, s2, err
}

func openTestNoVerify(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir()+"/snapshots.db", Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPatchOverDamagedChunk: a based run over a base with a missing or
// cut chunk in a range it does not change either fails or commits a
// snapshot that verify reports as damaged.
func TestPatchOverDamagedChunk(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"missing", "garbled"} {
		hurt := func(tx *bbolt.Tx, refs []chunkRef) error {
			id := idKey(refs[len(refs)/2].id)
			if how == "missing" {
				return tx.Bucket(bucketChunks).Delete(id)
			}
			raw := bytes.Clone(tx.Bucket(bucketChunks).Get(id))
			raw = raw[:len(raw)/2]
			return tx.Bucket(bucketChunks).Put(id, raw)
		}
		for _, whole := range []bool{true, false} {
			db, _, s2, err := damagedChain(t, whole, hurt, false)
			desc := ""
			if err == nil {
				desc = fmt.Sprintf("committed, count %d, patch %v", s2.Collections["items/contracts"].Count, isPatch(rootRecord(t, db, s2, "items/contracts")))
				rep, verr := db.Verify(false, nil)
				if verr != nil {
					t.Fatal(verr)
				}
				n := 0
				for _, p := range rep.Problems {
					if p.Snapshot == s2.ID {
						n++
					}
				}
				desc += fmt.Sprintf("; verify: %d problems under s2", n)
				if n == 0 {
					// A based commit may carry damage in a range it did
					// not read into the new snapshot, but verify must
					// then name it there.
					t.Errorf("%s chunk, wholeBasePatch=%v: committed over a damaged base and verify reports nothing under the new snapshot", how, whole)
				}
			}
			t.Logf("%s chunk, wholeBasePatch=%v: err=%v %s", how, whole, err, desc)
		}
	}
}

// TestPatchOverSwappedChunks: a base whose chunks were swapped fails the
// based commit as damaged, both ways.
func TestPatchOverSwappedChunks(t *testing.T) {
	t.Parallel()
	hurt := func(tx *bbolt.Tx, refs []chunkRef) error {
		chunks := tx.Bucket(bucketChunks)
		a, b := bytes.Clone(chunks.Get(idKey(refs[5].id))), bytes.Clone(chunks.Get(idKey(refs[6].id)))
		if err := chunks.Put(idKey(refs[5].id), b); err != nil {
			return err
		}
		return chunks.Put(idKey(refs[6].id), a)
	}
	for _, whole := range []bool{true, false} {
		db, _, s2, err := damagedChain(t, whole, hurt, true)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("wholeBasePatch=%v: %v, want ErrCorrupt", whole, err)
			}
			continue
		}
		// Before chunks were checked against their parent's line, the
		// patch dropped a removal (count 1974 for 1999 objects) and the
		// full build stored a root that does not decode.
		t.Errorf("wholeBasePatch=%v: committed over swapped chunks", whole)
		c := s2.Collections["items/contracts"]
		got := map[string]bool{}
		werr := db.WalkObjects(s2, "items/contracts", func(k string, _ []byte) error { got[k] = true; return nil })
		t.Logf("wholeBasePatch=%v: patch %v, count %d, walk yields %d objects (err %v)", whole, isPatch(rootRecord(t, db, s2, "items/contracts")), c.Count, len(got), werr)
		rep, _ := db.Verify(false, nil)
		for _, p := range rep.Problems {
			t.Logf("  verify: %s", p)
		}
	}
}
