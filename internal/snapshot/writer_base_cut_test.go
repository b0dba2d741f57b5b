package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// recut stores the collection coll of snap again as a full tree whose
// chunks end after the keys whose hash has its low 4 bits zero (as format
// 5 cut them, one key in 16, at most 64 entries), and makes it the
// snapshot's tree. It returns the snapshot's record.
func recut(t *testing.T, db *DB, snap *Snapshot, coll string) *Snapshot {
	t.Helper()
	var store chunkStore
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		refs, err := refsTx(tx, snap.Collections[coll].Root)
		if err != nil {
			return err
		}
		var all []entry
		for _, r := range refs {
			es, err := decodeChunk(tx.Bucket(bucketChunks).Get(idKey(r.id)))
			if err != nil {
				return err
			}
			all = append(all, es...)
		}
		var out []chunkRef
		var cur []entry
		var added int64
		for i, e := range all {
			cur = append(cur, e)
			h := sha256.Sum256(e.key)
			if binary.LittleEndian.Uint64(h[:8])&15 != 0 && len(cur) < 64 && i < len(all)-1 {
				continue
			}
			id, _, err := store.put(tx, encodeChunk(cur))
			if err != nil {
				return err
			}
			out = append(out, chunkRef{first: cur[0].key, id: id, count: len(cur)})
			cur = nil
		}
		level, top, err := buildIndex(tx, &store, out, &added)
		if err != nil {
			return err
		}
		root := encodeIndex(level, top)
		h := hashOf(root)
		if err := tx.Bucket(bucketRoots).Put(h[:], root); err != nil {
			return err
		}
		c := snap.Collections[coll]
		c.Root = h
		snap.Collections[coll] = c
		rec, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSnapshots).Put([]byte(snap.ID), rec)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.file(db); err != nil {
		t.Fatal(err)
	}
	s, err := db.Resolve(snap.Workspace, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBeginFromOlderCuts: a based run over a tree whose chunks were cut
// by format 5's rule (one key in 16) builds the tree a Put per object
// builds: it keeps no base chunk that does not end where the current rule
// ends one.
func TestBeginFromOlderCuts(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 3000
	db := openTest(t)
	db.fullTrees = true
	s1 := recut(t, db, snapshotOf(t, db, "acme", n, same), coll)
	w, err := db.BeginFrom(s1, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "1", item(1, 1)); err != nil {
		t.Fatal(err)
	}
	based, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	full := snapshotAt(t, db, "acme", t0.Add(2*time.Hour), n, func(id int) int { return 1 - min(id-1, 1) })
	if based.Collections[coll] != full.Collections[coll] {
		t.Errorf("based run: %+v, a Put per object: %+v", based.Collections[coll], full.Collections[coll])
	}
}

// TestBeginFromDeadBase: a based run that does not touch a collection
// stored as a patch over a forgotten snapshot's tree stores it as a full
// tree, as a Put per object would, so that prune can remove the old tree.
func TestBeginFromDeadBase(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", n, same)
	rev := func(id int) int { return id % 100 / 99 }
	s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, rev)
	if !isPatch(rootRecord(t, db, s2, coll)) {
		t.Fatal("s2 is not a patch")
	}
	if err := db.Forget(s1.ID); err != nil {
		t.Fatal(err)
	}
	w, err := db.BeginFrom(s2, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "people", "1", item(1, 0)); err != nil {
		t.Fatal(err)
	}
	based, err := w.Commit(CommitInfo{FinishedAt: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if isPatch(rootRecord(t, db, based, coll)) {
		t.Error("the untouched collection is still a patch over the forgotten s1's tree")
	}
	if got, want := objectsAll(t, db, based, coll), objectsAll(t, db, s2, coll); len(got) != n || !maps.Equal(got, want) {
		t.Errorf("the untouched collection: %d objects, differs from s2's: %v", len(got), !maps.Equal(got, want))
	}
	if err := db.Forget(s2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	old := s1.Collections[coll].Root
	if _, err := db.getCopy(bucketRoots, old[:]); err == nil {
		t.Error("the forgotten s1's tree outlives the patches over it")
	}
}
