package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// TestWalkObjectsMatchesWalkAndBlob: WalkObjects hands over the keys, in
// order, and the bytes that Walk followed by Blob gives, across several
// chunks.
func TestWalkObjectsMatchesWalkAndBlob(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 3000, same)
	keys, hashes := walkAll(t, db, s, "items/contracts")
	i := 0
	err := db.WalkObjects(s, "items/contracts", func(key string, raw []byte) error {
		if i >= len(keys) || key != keys[i] {
			return fmt.Errorf("object %d: key %q", i, key)
		}
		want, err := db.Blob(hashes[i])
		if err != nil {
			return err
		}
		if !bytes.Equal(raw, want) {
			return fmt.Errorf("object %d (%s): %s, want %s", i, key, raw, want)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(keys) || i != 3000 {
		t.Errorf("WalkObjects gave %d objects, Walk %d, want 3000", i, len(keys))
	}
	if err := db.WalkObjects(s, "items/absent", func(string, []byte) error { return errors.New("called") }); err != nil {
		t.Errorf("absent collection: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	if err := db.WalkObjects(s, "items/contracts", func(string, []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("an error from fn: %v after %d calls, want stop after 1", err, n)
	}
}

// TestWalkObjectsNamesDamage: a damaged blob stops the walk with an error
// wrapping ErrCorrupt, never with wrong bytes.
func TestWalkObjectsNamesDamage(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 50, same)
	fileAll(t, db)
	damageBlob(t, db, 7)
	err := db.WalkObjects(s, "items/contracts", func(string, []byte) error { return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("WalkObjects over a damaged blob = %v, want ErrCorrupt", err)
	}
	damageBlob(t, db, 7) // the same flip again: sound for the cleanup's check
}
