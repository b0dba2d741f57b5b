package offsite

import (
	"context"
	"reflect"
	"testing"
)

// TestRestoreObjectNamedLate: a pack starts downloading when the trees
// first name one of its objects, so its preparation checks every object
// it holds: one that a later snapshot names once the pack is prepared
// restores.
func TestRestoreObjectNamedLate(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	s1 := day("s1", 1, 600, 0)
	s2 := day("s2", 2, 600, 400) // a full tree: 400 of 600 items changed
	s3 := day("s3", 3, 600, 400)
	s3.colls = s2.colls
	s2 = day("s2", 2, 600, 400)
	removed := s1.colls["items/clients-slug"]["517"]
	delete(s2.colls["items/clients-slug"], "517") // s3 has it again: its object is in s1's pack alone
	src := &memSource{snaps: []*memSnap{s1, s2, s3}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	prepared := 0
	testHookTreesRead = func(rs *Restorer) {
		// Every pack named so far is prepared before the next
		// snapshot's trees are read.
		for i := range rs.packs {
			if ps := rs.packs[i].Load(); ps != nil {
				<-ps.done
				prepared++
			}
		}
	}
	defer func() { testHookTreesRead = nil }()
	rs, err := r.NewRestorer(ctx, snaps[1:], t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]map[string]string{}
	if err := rs.Objects(ctx, snaps[2], func(c, k string, raw []byte) error {
		if got[c] == nil {
			got[c] = map[string]string{}
		}
		got[c][k] = string(raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := rs.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want(s3)) {
		t.Errorf("s3 restored as %v, want %v", got, want(s3))
	}
	if got["items/clients-slug"]["517"] != string(removed) {
		t.Errorf("the object named late = %q", got["items/clients-slug"]["517"])
	}
	if prepared == 0 {
		t.Error("no pack was prepared before the last snapshot's trees were read")
	}
}
