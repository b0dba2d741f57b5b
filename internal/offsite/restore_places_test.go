package offsite

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRestoreObjectsPlacedByDiscover: CollectionObjects gives the objects
// of a full tree at the places the Restorer's reading of the trees found
// them, looking none up by its ref again, and gives what
// CollectionEntries and Raw give (another Restorer's: CollectionEntries
// takes the places too); a second walk of the same tree (its
// places taken) looks them up, with the same result.
func TestRestoreObjectsPlacedByDiscover(t *testing.T) {
	ctx := context.Background()
	r, snaps, rs := pushTwoDaysAndRestore(t, ctx)
	other, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	looked := 0
	testHookFind = func() { looked++ }
	t.Cleanup(func() { testHookFind = nil })
	for _, s := range snaps[:1] {
		for name := range s.Collections {
			want := map[string]string{}
			if err := other.CollectionEntries(ctx, s, name, func(key string, id ID) error {
				raw, err := other.Raw(id)
				want[key] = id.String() + string(raw)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for pass := range 2 {
				looked = 0
				n := 0
				if err := rs.CollectionObjects(ctx, s, name, func(key string, id ID, raw []byte) error {
					n++
					if want[key] != id.String()+string(raw) {
						t.Errorf("pass %d: %s: %s differs", pass, name, key)
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if n != len(want) {
					t.Errorf("pass %d: %s: %d objects, want %d", pass, name, n, len(want))
				}
				switch {
				case pass == 0 && looked != 0:
					t.Errorf("%s: %d of %d objects looked up again", name, looked, n)
				case pass == 1 && looked != n:
					t.Errorf("%s, again: %d of %d objects looked up", name, looked, n)
				}
			}
		}
	}
}

// pushTwoDaysAndRestore pushes two days of 2000 objects (one push per
// day) to a new file repository and returns it, its two snapshots and a
// Restorer of both whose reading of the trees (discover) is done; the
// Restorer is closed when the test ends.
func pushTwoDaysAndRestore(t *testing.T, ctx context.Context) (*Repo, []*Snapshot, *Restorer) {
	t.Helper()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{}
	for d := 1; d <= 2; d++ {
		s := day(fmt.Sprintf("s%d", d), d, 2000, 30)
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	if err := rs.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return r, snaps, rs
}
