package snapshot

import (
	"context"
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
