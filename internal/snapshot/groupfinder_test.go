package snapshot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// TestGroupFinder: a finder answers every lookup as candidates does, in
// prefix order (how a batch looks its hashes up) and in any order: hashes
// filed, absent, below the first group and past the last, and a prefix
// shared by two blobs.
func TestGroupFinder(t *testing.T) {
	db := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var filed []Hash
	var add []indexEntry
	for id := uint64(1); id <= 10_000; id++ { // several groups of at most 4,096
		var h Hash
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		h[0] |= 0x10 // leave room below the first group
		filed = append(filed, h)
		add = append(add, indexEntry{prefixOf(h), id})
	}
	shared := filed[500]
	shared[31] ^= 1 // the same prefix as filed[500], another hash
	add = append(add, indexEntry{prefixOf(shared), 10_001})
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return blobIndex.file(tx, add) }); err != nil {
		t.Fatal(err)
	}
	probes := append([]Hash{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, shared}, filed...)
	for range 2000 {
		var h Hash
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		probes = append(probes, h)
	}
	sorted := slices.Clone(probes)
	slices.SortFunc(sorted, func(a, b Hash) int { return cmpU64(prefixOf(a), prefixOf(b)) })
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		groups := 0
		_ = tx.Bucket(bucketBlobGroups).ForEach(func(_, _ []byte) error { groups++; return nil })
		if groups < 3 {
			return fmt.Errorf("%d groups, want several", groups)
		}
		for name, order := range map[string][]Hash{"sorted": sorted, "as given": probes} {
			f := blobIndex.finder(tx)
			for _, h := range order {
				want := blobIndex.candidates(tx, h, nil)
				if got := f.candidates(h, nil); !slices.Equal(got, want) {
					return fmt.Errorf("%s: finder gives %v for %s, candidates %v", name, got, h.Short(), want)
				}
			}
		}
		if got := blobIndex.finder(tx).candidates(shared, nil); len(got) != 2 {
			return fmt.Errorf("shared prefix: %v, want two ids", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
