package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestVerifySupersededBaseBlob: the damaged blob of a base entry that a
// patch replaces is not the patched snapshot's: verify and scrub find the
// snapshot intact, and report the blob under a snapshot whose view holds
// it while there is one.
func TestVerifySupersededBaseBlob(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	// Item 7 rev 0 alone in a pack, by another workspace's run.
	o7 := snapshotOf(t, db, "other", 7, func(id int) int { return id % 7 })
	s1 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, same)
	rev1 := func(id int) int {
		if id == 7 {
			return 1
		}
		return 0
	}
	s2 := snapshotAt(t, db, "acme", t0.Add(2*time.Hour), n, rev1)
	if !isPatch(rootRecord(t, db, s2, coll)) {
		t.Fatal("s2 is not a patch")
	}
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupBlobID(tx, h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7 rev 0: id %d, %v", id, err)
	}
	damageBlob(t, db, id)

	// While s1 is kept, the damage is s1's alone.
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Damaged(); !slices.Contains(got, s1.ID) || slices.Contains(got, s2.ID) {
		t.Errorf("damaged snapshots %v, want s1 %s and not s2 %s", got, s1.ShortID(), s2.ShortID())
	}

	if err := db.Forget(s1.ID, o7.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	raw, ok, err := db.Lookup(s2, coll, "7")
	if err != nil || !ok || string(raw) != string(item(7, 1)) {
		t.Fatalf("s2's item 7: %q %v %v, want rev 1", raw, ok, err)
	}
	rep, err = db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Damaged()) != 0 {
		t.Errorf("verify of intact s2: damaged %v, problems %v", rep.Damaged(), rep.Problems)
	}
	sr, err := db.Scrub(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !sr.OK() || sr.Check.Content != 0 || sr.Check.Structural != 0 {
		t.Errorf("scrub of intact s2: %+v, problems %v", sr.Check, sr.Problems)
	}
}

// TestWalkPatchedDamagedChunk: Walk and WalkObjects of a patched
// collection whose base lost a chunk report every entry before the
// chunk, then the damage.
func TestWalkPatchedDamagedChunk(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", n, same)
	s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, func(id int) int { return id % 100 / 99 })
	if !isPatch(rootRecord(t, db, s2, coll)) {
		t.Fatal("s2 is not a patch")
	}
	var lost chunkRef
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		refs, err := refsTx(tx, s1.Collections[coll].Root)
		if err != nil {
			return err
		}
		lost = refs[len(refs)/2]
		return tx.Bucket(bucketChunks).Delete(idKey(lost.id))
	}); err != nil {
		t.Fatal(err)
	}
	// The keys before the lost chunk, in order.
	var want []string
	for id := 1; id <= n; id++ {
		if k := sortKey(fmt.Sprint(id)); compareKeys(k, lost.first) < 0 {
			want = append(want, string(k))
		}
	}
	slices.SortFunc(want, func(a, b string) int { return compareKeys([]byte(a), []byte(b)) })
	for _, objects := range []bool{false, true} {
		var got []string
		fn := func(k string) error { got = append(got, string(sortKey(k))); return nil }
		var err error
		if objects {
			err = db.WalkObjects(s2, coll, func(k string, _ []byte) error { return fn(k) })
		} else {
			err = db.Walk(s2, coll, func(k string, _ Hash) error { return fn(k) })
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("objects %v: %v, want ErrCorrupt", objects, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("objects %v: %d keys before the damage, want %d (last %q)", objects, len(got), len(want), got[len(got)-1])
		}
	}
	// Leave a database the cleanup's check accepts.
	if err := db.Forget(s1.ID, s2.ID); err != nil {
		t.Fatal(err)
	}
}
