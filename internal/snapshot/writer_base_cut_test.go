package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
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
