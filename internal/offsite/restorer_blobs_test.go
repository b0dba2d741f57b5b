package offsite

import (
	"context"
	"testing"
)

// TestRestorerSharesIndexPacks: Restorer.blobs holds, by the pack's place,
// the index's own lists of packed blobs (idx.packs), not copies: building
// it costs one slice header per pack, and a ref the index resolves later
// (a format-3 pack's entries given by chunk) is seen through it at once.
func TestRestorerSharesIndexPacks(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &memSource{snaps: []*memSnap{day("a", 1, 300, 10), day("b", 2, 300, 10)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if len(rs.blobs) != len(rs.idx.packList) || len(rs.blobs) == 0 {
		t.Fatalf("blobs by place: %d for %d packs", len(rs.blobs), len(rs.idx.packList))
	}
	for i, p := range rs.idx.packList {
		got, want := rs.blobs[i], rs.idx.packs[p]
		if len(got) != len(want) || len(got) == 0 || &got[0] != &want[0] {
			t.Fatalf("pack %d (%s): Restorer.blobs is not the index's list", i, p.Short())
		}
	}
}
