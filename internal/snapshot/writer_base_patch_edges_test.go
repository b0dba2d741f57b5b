package snapshot

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPatchOverEdges: patchOver against patchFrom (wholeBasePatch) over
// random chains with changes aimed at the base tree's chunk edges (the
// first key of a chunk, the last, keys just before and after), mixed
// numeric and text keys (leading zeros, 19+ digits, text that sorts
// between), multi-level trees, collections emptied and appearing, keys
// put twice in a run, deletes of absent keys, and runs based on the
// snapshot before the latest. Each round: same roots in both databases,
// and the objects are the model's.
func TestPatchOverEdges(t *testing.T) {
	t.Parallel()
	seeds := uint64(4)
	if s := os.Getenv("PATCHOVER_SEEDS"); s != "" {
		n, _ := strconv.Atoi(s)
		seeds = uint64(n)
	}
	base := uint64(0)
	if s := os.Getenv("PATCHOVER_SEED0"); s != "" {
		n, _ := strconv.Atoi(s)
		base = uint64(n)
	}
	for seed := base; seed < base+seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			testPatchOverReview(t, seed)
		})
	}
}

func reviewKey(c string, i int) string {
	switch c {
	case "notes":
		return fmt.Sprintf("n-%05d", i)
	case "mixed":
		switch i % 5 {
		case 0:
			return fmt.Sprint(i)
		case 1:
			return fmt.Sprintf("0%d", i) // leading zero: text
		case 2:
			return fmt.Sprintf("%d%017d", 1+i%9, i) // 18 digits: numeric, coded as differences
		case 3:
			return fmt.Sprintf("9%020d", i) // 21 digits: numeric, prefix-coded
		default:
			return fmt.Sprintf("k%x", i)
		}
	}
	return fmt.Sprint(i)
}

func testPatchOverReview(t *testing.T, seed uint64) {
	fast, slow := openTest(t), openTest(t)
	slow.wholeBasePatch = true
	rng := rand.New(rand.NewPCG(seed, 99))
	sizes := map[string]int{"items/contracts": 2500, "notes": 900, "mixed": 1500, "tags": 20}
	if seed%2 == 1 {
		sizes["big"] = 6000 // more than 64 chunks: an index level
	}
	cur := model{}
	for c, n := range sizes {
		cur[c] = map[string][]byte{}
		for i := 10; i < 10+n; i++ {
			cur[c][reviewKey(c, i)] = []byte(fmt.Sprintf(`{"c":%q,"k":%q,"r":0}`, c, reviewKey(c, i)))
		}
	}
	val := func(c, k string, r int) []byte { return []byte(fmt.Sprintf(`{"c":%q,"k":%q,"r":%d}`, c, k, r)) }
	type snap struct {
		f, s *Snapshot
		m    model
	}
	f0, s0 := commitBasedSorted(t, fast, t0, nil, nil, cur), commitBasedSorted(t, slow, t0, nil, nil, cur)
	chain := []snap{{f0, s0, cur}}
	patches, fulls := 0, 0
	for round := range 30 {
		bi := len(chain) - 1
		if len(chain) > 1 && rng.IntN(5) == 0 {
			bi-- // based on the snapshot before the latest
		}
		b := chain[bi]
		next := b.m.clone()
		for _, c := range slices.Sorted(maps.Keys(sizes)) { // sorted: a seed replays
			if next[c] == nil {
				next[c] = map[string][]byte{}
			}
			objs := next[c]
			refs, err := fast.collectionRefs(b.f, c)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string // base tree's edge keys
			for i, r := range refs {
				k, _ := keyText(r.first)
				keys = append(keys, k)
				if i > 0 {
					// The last key of the chunk before: found in the model.
				}
			}
			sorted := slices.SortedFunc(maps.Keys(objs), func(a, b string) int { return compareKeys(sortKey(a), sortKey(b)) })
			pos := func(k string) int {
				i, _ := slices.BinarySearchFunc(sorted, k, func(a, b string) int { return compareKeys(sortKey(a), sortKey(b)) })
				return i
			}
			switch r := rng.IntN(12); {
			case r < 5: // edges of chunks
				for range 1 + rng.IntN(6) {
					if len(keys) == 0 {
						break
					}
					k := keys[rng.IntN(len(keys))]
					i := pos(k)
					switch rng.IntN(6) {
					case 0: // the chunk's first key removed
						delete(objs, k)
					case 1: // the last key of the chunk before removed
						if i > 0 {
							delete(objs, sorted[i-1])
						}
					case 2: // a key just before the chunk's first
						if n, err := strconv.Atoi(k); err == nil && n > 0 {
							objs[fmt.Sprint(n-1)] = val(c, fmt.Sprint(n-1), round+1)
						} else if k != "" {
							objs[k[:len(k)-1]] = val(c, k[:len(k)-1], round+1) // "" too, once
						}
					case 3: // a key just after the chunk's first
						objs[k+"0"] = val(c, k+"0", round+1)
					case 4: // the first and the last before changed
						objs[k] = val(c, k, round+1)
						if i > 0 {
							objs[sorted[i-1]] = val(c, sorted[i-1], round+1)
						}
					default: // a run of keys around the edge removed
						for j := max(0, i-3); j < min(len(sorted), i+3); j++ {
							delete(objs, sorted[j])
						}
					}
				}
				if len(sorted) > 0 && rng.IntN(3) == 0 { // past both ends
					objs["1"] = val(c, "1", round+1)
					objs["zzzz"+fmt.Sprint(round)] = val(c, "zzzz", round+1)
					delete(objs, sorted[0])
					delete(objs, sorted[len(sorted)-1])
				}
			case r < 9: // scattered
				for range rng.IntN(sizes[c]/6 + 2) {
					k := reviewKey(c, rng.IntN(sizes[c]+200))
					switch rng.IntN(3) {
					case 0:
						delete(objs, k)
					default:
						objs[k] = val(c, k, round+1+rng.IntN(2))
					}
				}
			case r < 10: // back to the first snapshot's bytes
				for _, k := range slices.Sorted(maps.Keys(chain[0].m[c])) {
					raw := chain[0].m[c][k]
					if rng.IntN(20) == 0 {
						objs[k] = raw
					}
				}
			case r < 11:
				if rng.IntN(3) == 0 {
					next[c] = map[string][]byte{} // emptied
				}
			default:
				if len(objs) == 0 { // appears again
					for i := 10; i < 10+sizes[c]; i++ {
						k := reviewKey(c, i)
						objs[k] = val(c, k, round+1)
					}
				}
			}
			if len(next[c]) == 0 {
				delete(next, c)
			}
		}
		at := t0.Add(time.Duration(round+1) * time.Hour)
		nf := commitReview(t, fast, at, b.f, b.m, next, rng.Uint64())
		ns := commitReview(t, slow, at, b.s, b.m, next, 0)
		if !maps.Equal(nf.Collections, ns.Collections) {
			t.Fatalf("round %d (base %d): roots differ:\n patchOver %v\n patchFrom %v", round, bi, nf.Collections, ns.Collections)
		}
		for c := range sizes {
			got := objectsAll(t, fast, nf, c)
			want := map[string]string{}
			for k, raw := range next[c] {
				want[k] = string(raw)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("round %d: %s: %d objects, want %d", round, c, len(got), len(want))
			}
			if nf.Collections[c].Count != len(want) {
				t.Fatalf("round %d: %s: count %d, want %d", round, c, nf.Collections[c].Count, len(want))
			}
			if _, ok := nf.Collections[c]; ok {
				if isPatch(rootRecord(t, fast, nf, c)) {
					patches++
				} else {
					fulls++
				}
			}
		}
		chain = append(chain, snap{nf, ns, next})
	}
	t.Logf("%d patches, %d full trees", patches, fulls)
}

// commitReview is commitBasedSorted with, when dup is not 0, some keys
// Put twice (an older value first) and some deletes of keys never there.
func commitReview(t *testing.T, db *DB, at time.Time, base *Snapshot, prev, next model, dup uint64) *Snapshot {
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
	// The same in both databases (the slow one's dup is 0 but it gets the
	// same calls from the fast one's seed through the caller's order):
	// kept simple, the puts twice come after, as the same value again
	// and a delete of the key, which the put wins over.
	if base != nil {
		for _, c := range slices.Sorted(maps.Keys(next)) {
			kind, parent, _ := strings.Cut(c, "/")
			ks := slices.Sorted(maps.Keys(next[c]))
			for i := 0; i < len(ks); i += 97 {
				if err := w.Delete(kind, parent, ks[i]); err != nil { // put wins
					t.Fatal(err)
				}
				if err := w.Put(kind, parent, ks[i], next[c][ks[i]]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Delete(kind, parent, "never-there"); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items", "tags", "notes", "mixed", "big"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
