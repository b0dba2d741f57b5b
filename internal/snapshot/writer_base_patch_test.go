package snapshot

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBeginFromPatchOver: a chain of based runs, each on the snapshot
// committed just before it (restore-db's), commits the same roots
// whether each patch is found from the changes and the chunks they touch
// (patchOver) or by reading the whole tree (patchFrom): patches that grow
// until the share makes a full tree, keys changed back to the tree's
// bytes, removed and put back, removals of keys never there or only in
// the patch, keys before
// the first chunk and after the last; and the objects are those of a run
// that Puts every object.
func TestBeginFromPatchOver(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			testPatchOver(t, seed)
		})
	}
}

func testPatchOver(t *testing.T, seed uint64) {
	fast, slow := openTest(t), openTest(t)
	slow.wholeBasePatch = true
	rng := rand.New(rand.NewPCG(3, 4+seed))
	cur := model{"items/contracts": {}, "tags": {}}
	for id := 100; id <= 2500; id++ {
		cur["items/contracts"][fmt.Sprint(id)] = item(id, 0)
	}
	for id := 1; id <= 30; id++ {
		cur["tags"][fmt.Sprint(id)] = item(id, 2)
	}
	first := cur.clone()
	bf, bs := commitBasedSorted(t, fast, t0, nil, nil, cur), commitBasedSorted(t, slow, t0, nil, nil, cur)
	patches, fulls := 0, 0
	for round := range 24 {
		next := cur.clone()
		contracts := next["items/contracts"]
		switch round % 6 {
		case 0: // back to the first snapshot's bytes for some keys
			for id := 100 + rng.IntN(50); id <= 2500; id += 37 {
				if raw, ok := first["items/contracts"][fmt.Sprint(id)]; ok {
					contracts[fmt.Sprint(id)] = raw
				}
			}
		case 1: // before the first key and after the last
			contracts["1"] = item(1, round)
			contracts["99"] = item(99, round)
			contracts[fmt.Sprint(3000+round)] = item(3000+round, round)
			delete(contracts, "100")
		case 2: // what case 1 added removed again; the other collection changed
			delete(contracts, "1")
			delete(contracts, "99")
			next["tags"]["7"] = item(7, round)
		default:
			for range rng.IntN(120) {
				id := 1 + rng.IntN(2700)
				switch rng.IntN(3) {
				case 0:
					delete(contracts, fmt.Sprint(id))
				default:
					contracts[fmt.Sprint(id)] = item(id, round)
				}
			}
		}
		at := t0.Add(time.Duration(round+1) * time.Hour) // each the latest
		nf := commitBasedSorted(t, fast, at, bf, cur, next)
		ns := commitBasedSorted(t, slow, at, bs, cur, next)
		if !maps.Equal(nf.Collections, ns.Collections) {
			t.Fatalf("round %d: roots differ:\n patchOver %v\n patchFrom %v", round, nf.Collections, ns.Collections)
		}
		if isPatch(rootRecord(t, fast, nf, "items/contracts")) {
			patches++
		} else {
			fulls++
		}
		bf, bs, cur = nf, ns, next
	}
	if patches == 0 || fulls < 2 {
		t.Errorf("%d patches and %d full trees: the chain does not cross the share", patches, fulls)
	}
	// A run that Puts every object, committed before the chain's last
	// snapshot so that its patches are not its base's.
	full := commitBasedSorted(t, fast, t0.Add(time.Minute), nil, nil, cur)
	sameSnapshot(t, fast, full, bf)
}

// commitBasedSorted is commitBased (commitFull when base is nil) with
// the Deletes and Puts in key order, so that two databases given the
// same runs number their blobs alike.
func commitBasedSorted(t *testing.T, db *DB, at time.Time, base *Snapshot, prev, next model) *Snapshot {
	t.Helper()
	var w *Writer
	var err error
	if base == nil {
		w, err = db.Begin("acme", at)
	} else {
		w, err = db.BeginFrom(base, at)
	}
	if err != nil {
		t.Fatal(err)
	}
	if base != nil { // a key no snapshot holds
		if err := w.Delete("items", "contracts", "999999"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(prev)) {
		kind, parent, _ := strings.Cut(c, "/")
		for _, k := range slices.Sorted(maps.Keys(prev[c])) {
			if _, ok := next[c][k]; !ok {
				if err := w.Delete(kind, parent, k); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(next)) {
		kind, parent, _ := strings.Cut(c, "/")
		for _, k := range slices.Sorted(maps.Keys(next[c])) {
			raw := next[c][k]
			if old, ok := prev[c][k]; ok && string(old) == string(raw) {
				continue
			}
			if err := w.Put(kind, parent, k, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items", "tags", "notes"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
