package snapshot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestIDSet(t *testing.T) {
	s := newIDSet(130)
	for _, id := range []uint64{1, 64, 65, 130, 64} {
		s.add(id)
	}
	for _, c := range []struct {
		id         uint64
		has, holds bool
	}{{0, false, false}, {1, true, true}, {2, false, true}, {64, true, true}, {65, true, true}, {130, true, true}, {131, false, false}, {1 << 40, false, false}} {
		if got := s.has(c.id); got != c.has {
			t.Errorf("has(%d) = %v, want %v", c.id, got, c.has)
		}
		if got := s.holds(c.id); got != c.holds {
			t.Errorf("holds(%d) = %v, want %v", c.id, got, c.holds)
		}
	}
	if s.count() != 4 {
		t.Errorf("count = %d, want 4", s.count())
	}
	if empty := newIDSet(0); empty.holds(1) || empty.has(1) {
		t.Error("an empty set holds id 1")
	}
}

// blobID returns the id the blob index files h under.
func blobID(t *testing.T, db *DB, h Hash) uint64 {
	t.Helper()
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		id = lookupBlobID(tx, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestIDsArePermanent forgets and prunes everything, then stores the same
// content again: it gets new ids, never the freed ones, and reads back.
func TestIDsArePermanent(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	_, hashes := walkAll(t, db, s1, "items/contracts")
	old := blobID(t, db, hashes[0])
	if old == 0 {
		t.Fatal("the first blob has no id")
	}
	if again := snapshotOf(t, db, "acme", 40, same); again.Collections["items/contracts"] != s1.Collections["items/contracts"] {
		t.Error("the same content got another root")
	}
	if err := db.Forget(s1.ID); err != nil {
		t.Fatal(err)
	}
	snaps, _ := db.Snapshots("")
	if err := db.Forget(snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Blob(hashes[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Blob of a pruned hash = %v, want ErrNotFound", err)
	}
	s2 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	_, hashes2 := walkAll(t, db, s2, "items/contracts")
	if hashes2[0] != hashes[0] {
		t.Fatal("the same content has another hash")
	}
	if id := blobID(t, db, hashes[0]); id <= 40 || id == old {
		t.Errorf("content stored again got id %d, want a new one (above 40)", id)
	}
	raw, err := db.Blob(hashes[0])
	if err != nil || string(raw) != string(item(1, 0)) {
		t.Errorf("Blob = %.30q, %v", raw, err)
	}
	if raw, ok, err := db.Lookup(s2, "items/contracts", "40"); err != nil || !ok || string(raw) != string(item(40, 0)) {
		t.Errorf("Lookup = %.30q, %v, %v", raw, ok, err)
	}
}

// TestVerifyFindsTreeAndIndexDamage damages a chunk's content and a blob's
// index entry: Verify names the snapshots and the object.
func TestVerifyFindsTreeAndIndexDamage(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 100, same)
	fileAll(t, db)
	refs := mustRefs(t, db, s, "items/contracts")
	victim := idKey(refs[1].id)
	edit := func(bucket, key []byte, fn func(v []byte) []byte) {
		t.Helper()
		if err := db.bolt.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucket)
			v := fn(append([]byte(nil), b.Get(key)...))
			if v == nil {
				return b.Delete(key)
			}
			return b.Put(key, v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	var saved []byte
	edit(bucketChunks, victim, func(v []byte) []byte {
		saved = append([]byte(nil), v...)
		v[len(v)-1] ^= 1 // the last blob id: still decodes
		return v
	})
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("chunk %d does not hash to its index entry", refs[1].id)
	if len(rep.Problems) != 1 || rep.Problems[0].Snapshot != s.ID || rep.Problems[0].Err != want {
		t.Errorf("problems = %v, want %q", rep.Problems, want)
	}
	edit(bucketChunks, victim, func([]byte) []byte { return saved })

	_, hashes := walkAll(t, db, s, "items/contracts")
	h := hashes[9] // key "10"
	var entry uint64
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { entry = lookupBlobID(tx, h); return setBlobIndex(tx, h, 0) }); err != nil {
		t.Fatal(err)
	}
	rep, err = db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Key != "10" || rep.Problems[0].Hash != h || !strings.Contains(rep.Problems[0].Err, "the index does not file its hash") {
		t.Errorf("problems = %v, want key 10's index entry", rep.Problems)
	}
	if _, err := db.Blob(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Blob without its index entry = %v, want ErrNotFound", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return setBlobIndex(tx, h, entry) }); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Errorf("verify after repair = %v, %v", rep.Problems, err)
	}
}

// TestDiffManyChanges diffs more changes than one batch of hash look-ups,
// and stops at the first error of fn, returned as it is.
func TestDiffManyChanges(t *testing.T) {
	db := openTest(t)
	a := snapshotOf(t, db, "acme", 1000, same)
	b := snapshotOf(t, db, "acme", 1000, func(id int) int { return id % 3 }) // 667 changed
	got := diffAll(t, db, a, b, "items/contracts")
	if len(got) != 667 || got[0].Key != "1" || got[666].Key != "1000" {
		t.Fatalf("diff = %d changes (first %+v), want 667", len(got), got[0])
	}
	_, ha := walkAll(t, db, a, "items/contracts")
	_, hb := walkAll(t, db, b, "items/contracts")
	n := 0
	err := db.DiffCollection(a, b, "items/contracts", func(k string, old, new Hash) error {
		id, _ := strconv.Atoi(k)
		if old != ha[id-1] || new != hb[id-1] {
			t.Errorf("key %s: hashes %s -> %s, want %s -> %s", k, old.Short(), new.Short(), ha[id-1].Short(), hb[id-1].Short())
		}
		if n++; n == 300 {
			return errStop
		}
		return nil
	})
	if err != errStop || n != 300 {
		t.Errorf("diff stopped with %v after %d calls, want errStop after 300", err, n)
	}
}

var errStop = errors.New("stop")
