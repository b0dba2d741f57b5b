package offsite

import (
	"context"
	"testing"
)

// TestRestorePlacesReleasedByEntries: restore-db walks the first snapshot
// of a chain with CollectionObjects and a later full tree with
// CollectionEntries (compareCollection); the places discover noted for
// the later tree's leaf chunks are taken by that walk too, so none is
// left once every snapshot is imported, and CollectionEntries takes the
// objects of the leaves only the later tree has from their places (the
// leaves it shares with the first tree were taken by the first walk: their
// objects are looked up by ref, so some look-ups remain, never all).
func TestRestorePlacesReleasedByEntries(t *testing.T) {
	old := maxDeltaBytes
	maxDeltaBytes = 1 // every push a full tree
	t.Cleanup(func() { maxDeltaBytes = old })
	ctx := context.Background()
	_, snaps, rs := pushTwoDaysAndRestore(t, ctx)
	looked := 0
	testHookFind = func() { looked++ }
	t.Cleanup(func() { testHookFind = nil })
	for name := range snaps[0].Collections {
		if err := rs.CollectionObjects(ctx, snaps[0], name, func(string, ID, []byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	firstLooked := looked
	n := 0
	for name := range snaps[1].Collections {
		if err := rs.CollectionEntries(ctx, snaps[1], name, func(string, ID) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	rs.placesMu.Lock()
	left := 0
	for _, p := range rs.places {
		left += len(p)
	}
	rs.placesMu.Unlock()
	if left != 0 {
		t.Errorf("places of %d entries kept after every snapshot was walked", left)
	}
	if firstLooked != 0 || looked-firstLooked == n {
		t.Errorf("looked up again: %d of the first snapshot, %d of the second's %d", firstLooked, looked-firstLooked, n)
	}
}
