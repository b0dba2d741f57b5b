package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// rootRecord returns the root record of a snapshot's collection.
func rootRecord(t testing.TB, db *DB, s *Snapshot, coll string) []byte {
	t.Helper()
	h := s.Collections[coll].Root
	raw, err := db.getCopy(bucketRoots, h[:])
	if err != nil {
		t.Fatalf("root of %s: %v", coll, err)
	}
	return raw
}

// TestPatchWritten: a small change is stored as a patch over the previous
// snapshot's tree (no new chunk or index node); the next small change
// patches the same base; a change past the share builds a full tree
// again, which the next patch takes as its base; an unchanged collection
// keeps its root.
func TestPatchWritten(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 3000
	db := openTest(t)
	day := 0
	snapshotOf := func(t *testing.T, db *DB, ws string, n int, rev func(int) int) *Snapshot {
		t.Helper()
		day++
		return snapshotAt(t, db, ws, t0.Add(time.Duration(day)*24*time.Hour), n, rev)
	}
	s1 := snapshotOf(t, db, "acme", n, same)
	chunks := count(t, db, bucketChunks)
	if isPatch(rootRecord(t, db, s1, coll)) {
		t.Fatal("the first snapshot is a patch")
	}
	s2 := snapshotOf(t, db, "acme", n, func(id int) int { return id % 300 / 299 }) // 10 changed
	raw := rootRecord(t, db, s2, coll)
	base, ps, err := decodePatch(raw)
	if err != nil {
		t.Fatalf("second snapshot's root: %v, want a patch", err)
	}
	if base != s1.Collections[coll].Root || len(ps) != 10 {
		t.Errorf("patch over %s with %d entries, want over %s with 10", base.Short(), len(ps), s1.Collections[coll].Root.Short())
	}
	if got := count(t, db, bucketChunks); got != chunks {
		t.Errorf("chunks and index nodes %d after a patch, want %d", got, chunks)
	}
	if len(raw) > 32+1+10*6 {
		t.Errorf("patch of 10 entries takes %d bytes", len(raw))
	}
	s3 := snapshotOf(t, db, "acme", n, func(id int) int { return id % 300 / 299 })
	if s3.Collections[coll] != s2.Collections[coll] {
		t.Errorf("unchanged collection: root %v, want %v", s3.Collections[coll], s2.Collections[coll])
	}
	s4 := snapshotOf(t, db, "acme", n+5, func(id int) int { return id % 100 / 99 }) // 30 changed, 5 added
	if base, ps, err := decodePatch(rootRecord(t, db, s4, coll)); err != nil || base != s1.Collections[coll].Root || len(ps) != 35 {
		t.Errorf("third change: patch over %s, %d entries, %v; want over the first tree with 35", base.Short(), len(ps), err)
	}
	if s4.Objects != n+5 {
		t.Errorf("objects %d, want %d", s4.Objects, n+5)
	}
	s5 := snapshotOf(t, db, "acme", n, func(id int) int { return id % 5 / 4 }) // 600 changed: past n/8
	if isPatch(rootRecord(t, db, s5, coll)) {
		t.Error("600 of 3000 changed: a patch, want a full tree")
	}
	if got := count(t, db, bucketChunks); got <= chunks {
		t.Errorf("no chunks added by a full tree")
	}
	s6 := snapshotOf(t, db, "acme", n, func(id int) int { return id%5/4 + id%1000/999 })
	if base, _, err := decodePatch(rootRecord(t, db, s6, coll)); err != nil || base != s5.Collections[coll].Root {
		t.Errorf("after a full tree: patch over %s, %v; want over %s", base.Short(), err, s5.Collections[coll].Root.Short())
	}
	// Back to the base's content: the base's root itself.
	s7 := snapshotOf(t, db, "acme", n, func(id int) int { return id % 5 / 4 })
	if s7.Collections[coll] != s5.Collections[coll] {
		t.Errorf("content of the base again: root %v, want the base's %v", s7.Collections[coll], s5.Collections[coll])
	}
	// Another workspace never patches over this one's trees.
	o := snapshotOf(t, db, "other", n, func(id int) int { return id % 300 / 299 })
	if isPatch(rootRecord(t, db, o, coll)) {
		t.Error("first snapshot of another workspace is a patch")
	}
}

// patchModel is one workspace's collections: collection -> key -> raw.
type patchModel map[string]map[string][]byte

func objectOf(coll, key string, rev int) []byte {
	return fmt.Appendf(nil, `{"c":%q,"k":%q,"rev":%d,"pad":"%s"}`, coll, key, rev, strings.Repeat("y", len(key)))
}

// commitModel commits m with a Put per object (based nil), or as based
// plus the objects of m that differ from prev.
func commitModel(t *testing.T, db *DB, at time.Time, based *Snapshot, prev, m patchModel) *Snapshot {
	t.Helper()
	var w *Writer
	var err error
	if based == nil {
		w, err = db.Begin("acme", at)
	} else {
		w, err = db.BeginFrom(based, at)
	}
	if err != nil {
		t.Fatal(err)
	}
	for c, objs := range m {
		kind, parent, _ := strings.Cut(c, "/")
		for k, raw := range objs {
			if based != nil && bytes.Equal(prev[c][k], raw) {
				continue
			}
			if err := w.Put(kind, parent, k, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	if based != nil {
		for c, objs := range prev {
			kind, parent, _ := strings.Cut(c, "/")
			for k := range objs {
				if _, ok := m[c][k]; !ok {
					if err := w.Delete(kind, parent, k); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type diffLine struct {
	Key      string
	Old, New Hash
}

func diffLines(t *testing.T, db *DB, a, b *Snapshot, coll string) []diffLine {
	t.Helper()
	var out []diffLine
	if err := db.DiffCollection(a, b, coll, func(k string, o, n Hash) error {
		out = append(out, diffLine{k, o, n})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func objectsAll(t *testing.T, db *DB, s *Snapshot, coll string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var prev string
	first := true
	if err := db.WalkObjects(s, coll, func(k string, raw []byte) error {
		if !first && compareKeys(sortKey(prev), sortKey(k)) >= 0 {
			t.Errorf("WalkObjects %s: %q after %q", coll, k, prev)
		}
		first, prev = false, k
		out[k] = string(raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPatchModel: over random chains of changes (small and large, deletes,
// re-adds, collections emptied and refilled, numeric and other keys),
// committed by Put and by BeginFrom, Walk, WalkObjects, Lookup and
// DiffCollection of a database that writes patches give what a model
// holds and what a database of full trees gives; Verify finds nothing.
func TestPatchModel(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			testPatchModel(t, seed)
		})
	}
}

func testPatchModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	pdb, fdb := openTest(t), openTest(t)
	fdb.fullTrees = true
	colls := []string{"items/contracts", "notes", "tags/x"}
	keyOf := func(c string, i int) string {
		switch c {
		case "items/contracts":
			return fmt.Sprint(i)
		case "notes":
			return fmt.Sprintf("n-%04d", i)
		}
		if i%2 == 0 {
			return fmt.Sprint(i * 3)
		}
		return fmt.Sprintf("t%x", i)
	}
	cur := patchModel{}
	for _, c := range colls {
		cur[c] = map[string][]byte{}
		for i := range 300 + rng.IntN(500) {
			cur[c][keyOf(c, i)] = objectOf(c, keyOf(c, i), 0)
		}
	}
	var models []patchModel
	var psnaps, fsnaps []*Snapshot
	patches := 0
	for step := range 14 {
		next := patchModel{}
		for c, objs := range cur {
			next[c] = maps.Clone(objs)
		}
		for _, c := range colls {
			if next[c] == nil {
				next[c] = map[string][]byte{}
			}
			var changes int
			switch r := rng.IntN(10); {
			case r < 6:
				changes = rng.IntN(12)
			case r < 9:
				changes = 40 + rng.IntN(300)
			default:
				if rng.IntN(2) == 0 {
					next[c] = map[string][]byte{} // emptied
				}
			}
			for range changes {
				k := keyOf(c, rng.IntN(1000))
				switch rng.IntN(3) {
				case 0:
					delete(next[c], k)
				default:
					next[c][k] = objectOf(c, k, step+1+rng.IntN(2))
				}
			}
			if len(next[c]) == 0 {
				delete(next, c)
			}
		}
		at := t0.Add(time.Duration(step+1) * time.Hour)
		var pbase, fbase *Snapshot
		if step > 0 && rng.IntN(2) == 0 {
			pbase, fbase = psnaps[len(psnaps)-1], fsnaps[len(fsnaps)-1]
		}
		ps := commitModel(t, pdb, at, pbase, cur, next)
		fs := commitModel(t, fdb, at, fbase, cur, next)
		for _, c := range colls {
			if _, ok := ps.Collections[c]; ok && isPatch(rootRecord(t, pdb, ps, c)) {
				patches++
			}
		}
		models, psnaps, fsnaps = append(models, next), append(psnaps, ps), append(fsnaps, fs)
		cur = next
	}
	if patches == 0 {
		t.Fatal("no patch written")
	}
	t.Logf("%d patched collections of %d snapshots", patches, len(psnaps))
	for i, m := range models {
		ps, fs := psnaps[i], fsnaps[i]
		if !maps.Equal(ps.Counts, fs.Counts) || ps.Objects != fs.Objects {
			t.Errorf("snapshot %d: counts %v %d, full trees %v %d", i, ps.Counts, ps.Objects, fs.Counts, fs.Objects)
		}
		for _, c := range colls {
			if ps.Collections[c].Count != len(m[c]) {
				t.Errorf("snapshot %d %s: count %d, model %d", i, c, ps.Collections[c].Count, len(m[c]))
			}
			want := map[string]string{}
			for k, raw := range m[c] {
				want[k] = string(raw)
			}
			if diff := cmp.Diff(want, objectsAll(t, pdb, ps, c)); diff != "" {
				t.Errorf("snapshot %d %s: WalkObjects against the model (-want +got):\n%s", i, c, diff)
			}
			pk, ph := walkAll(t, pdb, ps, c)
			fk, fh := walkAll(t, fdb, fs, c)
			if !slices.Equal(pk, fk) || !slices.Equal(ph, fh) {
				t.Errorf("snapshot %d %s: Walk differs from full trees' (%d and %d keys)", i, c, len(pk), len(fk))
			}
			for range 20 {
				k := keyOf(c, rng.IntN(1000))
				raw, ok, err := pdb.Lookup(ps, c, k)
				wraw, wok := m[c][k]
				if err != nil || ok != wok || !bytes.Equal(raw, wraw) {
					t.Errorf("snapshot %d %s: Lookup %q = %.20q %v %v, want %.20q %v", i, c, k, raw, ok, err, wraw, wok)
				}
			}
		}
	}
	pairs := [][2]int{}
	for i := range psnaps {
		for j := range psnaps {
			if i != j && (j == i+1 || rng.IntN(6) == 0) {
				pairs = append(pairs, [2]int{i, j})
			}
		}
	}
	for _, p := range pairs {
		for _, c := range colls {
			got := diffLines(t, pdb, psnaps[p[0]], psnaps[p[1]], c)
			want := diffLines(t, fdb, fsnaps[p[0]], fsnaps[p[1]], c)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diff %d -> %d %s against full trees' (-want +got):\n%s", p[0], p[1], c, diff)
			}
		}
	}
	for _, c := range colls {
		if got := diffLines(t, pdb, nil, psnaps[len(psnaps)-1], c); len(got) != len(models[len(models)-1][c]) {
			t.Errorf("diff from nothing %s: %d lines, want %d", c, len(got), len(models[len(models)-1][c]))
		}
	}
	rep, err := pdb.Verify(true, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	if want := int64(0); rep.Objects == want {
		t.Error("verify checked no objects")
	}
	var total int64
	for _, s := range psnaps {
		total += int64(s.Objects)
	}
	if rep.Objects != total {
		t.Errorf("verify checked %d objects, the snapshots hold %d", rep.Objects, total)
	}
}

// TestBeginFromPatchedBase: a run begun from a snapshot whose collection
// is a patch commits the same roots as a run that Puts every object, a
// patch when the change is small and a full tree when not.
func TestBeginFromPatchedBase(t *testing.T) {
	t.Parallel()
	const coll = "items/contracts"
	db := openTest(t)
	m0 := patchModel{coll: {}}
	for id := 1; id <= 2000; id++ {
		m0[coll][fmt.Sprint(id)] = item(id, 0)
	}
	commitModel(t, db, t0, nil, nil, m0)
	change := func(m patchModel, every, rev int, drop ...string) patchModel {
		n := patchModel{coll: maps.Clone(m[coll])}
		for id := 1; id <= 2100; id += every {
			n[coll][fmt.Sprint(id)] = item(id, rev)
		}
		for _, k := range drop {
			delete(n[coll], k)
		}
		return n
	}
	m1 := change(m0, 97, 1, "3", "4")
	s1 := commitModel(t, db, t0.Add(time.Hour), nil, nil, m1)
	if !isPatch(rootRecord(t, db, s1, coll)) {
		t.Fatal("s1 is not a patch")
	}
	m2 := change(m1, 89, 2, "5", "2098")
	based := commitModel(t, db, t0.Add(2*time.Hour), s1, m1, m2)
	if !isPatch(rootRecord(t, db, based, coll)) {
		t.Error("a small change over a patched base: not a patch")
	}
	full := commitModel(t, db, t0.Add(2*time.Hour), nil, nil, m2)
	sameSnapshot(t, db, full, based)
	m3 := change(m2, 3, 3, "7")
	based3 := commitModel(t, db, t0.Add(3*time.Hour), based, m2, m3)
	if isPatch(rootRecord(t, db, based3, coll)) {
		t.Error("a third changed over a patched base: a patch, want a full tree")
	}
	full3 := commitModel(t, db, t0.Add(3*time.Hour), nil, nil, m3)
	sameSnapshot(t, db, full3, based3)
	// Untouched: the patch's root kept.
	w, err := db.BeginFrom(based, t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := w.Commit(CommitInfo{FinishedAt: t0.Add(5 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if kept.Collections[coll] != based.Collections[coll] {
		t.Errorf("untouched collection: %v, want %v", kept.Collections[coll], based.Collections[coll])
	}
}

// TestPrunePatchBase: prune keeps a patch's base (root, chunks, blobs)
// once the base's own snapshot is forgotten; the next run then stores a
// full tree, however little changed, so that the base goes with the
// patch's own snapshot.
func TestPrunePatchBase(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", n, same)
	changed := func(id int) int { return id % 500 / 499 }
	s2 := snapshotOf(t, db, "acme", n, changed)
	baseRoot := s1.Collections[coll].Root
	if b, _, err := decodePatch(rootRecord(t, db, s2, coll)); err != nil || b != baseRoot {
		t.Fatalf("s2: %v, want a patch over s1's tree", err)
	}
	want := objectsAll(t, db, s2, coll)
	if err := db.Forget(s1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.getCopy(bucketRoots, baseRoot[:]); err != nil {
		t.Fatalf("the base's root after its snapshot went: %v", err)
	}
	if diff := cmp.Diff(want, objectsAll(t, db, s2, coll)); diff != "" {
		t.Errorf("s2 after the prune (-before +after):\n%s", diff)
	}
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	// Nothing changed since s2, but s2's base is no snapshot's own root
	// any more: a full tree.
	s3 := snapshotOf(t, db, "acme", n, changed)
	if isPatch(rootRecord(t, db, s3, coll)) {
		t.Fatal("s3 is a patch over a forgotten snapshot's tree")
	}
	if err := db.Forget(s2.ID); err != nil {
		t.Fatal(err)
	}
	st, err := db.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.getCopy(bucketRoots, baseRoot[:]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("the base's root once no patch names it: %v, want gone", err)
	}
	if st.Roots != 2 {
		t.Errorf("prune removed %d roots, want 2 (the patch and its base)", st.Roots)
	}
	if got := count(t, db, bucketRoots); got != 1 {
		t.Errorf("%d roots left, want 1", got)
	}
	if diff := cmp.Diff(want, objectsAll(t, db, s3, coll)); diff != "" {
		t.Errorf("s3 (-s2 +s3):\n%s", diff)
	}
}

// TestPruneRemovesForgottenObject: an object deleted on the server, held
// only by the base of a patch, is gone once the snapshots that held it,
// and the patch's own snapshot, are forgotten and pruned.
func TestPruneRemovesForgottenObject(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	// Object 7's content alone in a pack (prune rewrites a pack only
	// when most of it is dead), by another workspace's run.
	o := snapshotOf(t, db, "other", 7, func(id int) int {
		if id == 7 {
			return 0
		}
		return 1
	})
	s1 := snapshotOf(t, db, "acme", n, same)
	without7 := func(at time.Time) *Snapshot { // object 7 deleted on the server
		t.Helper()
		w, err := db.Begin("acme", at)
		if err != nil {
			t.Fatal(err)
		}
		for id := 1; id <= n; id++ {
			if id == 7 {
				continue
			}
			if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s2 := without7(t0.Add(time.Hour))
	if b, ps, err := decodePatch(rootRecord(t, db, s2, coll)); err != nil || b != s1.Collections[coll].Root || len(ps) != 1 || ps[0].id != 0 {
		t.Fatalf("s2: %d entries, %v; want a patch removing object 7", len(ps), err)
	}
	if err := db.Forget(s1.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	s3 := without7(t0.Add(2 * time.Hour))
	if isPatch(rootRecord(t, db, s3, coll)) {
		t.Fatal("s3 is a patch over the forgotten s1's tree")
	}
	if err := db.Forget(s2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	h, err := ContentHash(item(7, 0))
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := db.Blob(h); !errors.Is(err, ErrNotFound) {
		t.Errorf("object 7, held by no snapshot left: %d bytes, %v; want ErrNotFound", len(raw), err)
	}
	if got := countBlobs(t, db); got != n-1 {
		t.Errorf("%d blobs stored, want %d (s3's)", got, n-1)
	}
}

// TestVerifyPatchBaseMissing: verify names a patch whose base is missing,
// or is itself a patch, and reads of it fail as damaged.
func TestVerifyPatchBaseMissing(t *testing.T) {
	t.Parallel()
	const coll = "items/contracts"
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 500, same)
	s2 := snapshotOf(t, db, "acme", 500, func(id int) int { return id % 100 / 99 })
	baseRoot := s1.Collections[coll].Root
	saved := rootRecord(t, db, s1, coll)
	setRoot := func(v []byte) {
		t.Helper()
		if err := db.bolt.Update(func(tx *bbolt.Tx) error {
			if v == nil {
				return tx.Bucket(bucketRoots).Delete(baseRoot[:])
			}
			return tx.Bucket(bucketRoots).Put(baseRoot[:], v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		rec  []byte
		want string
	}{
		{"missing", nil, "is missing"},
		{"a patch", rootRecord(t, db, s2, coll), "is a patch"},
	} {
		setRoot(tc.rec)
		rep, err := db.Verify(false, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range rep.Problems {
			if p.Snapshot == s2.ID && strings.Contains(p.Err, "base") && strings.Contains(p.Err, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s base: problems %v, want s2's patch named", tc.name, rep.Problems)
		}
		if err := db.Walk(s2, coll, func(string, Hash) error { return nil }); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s base: walk %v, want ErrCorrupt", tc.name, err)
		}
		if _, _, err := db.Lookup(s2, coll, "1"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s base: lookup %v, want ErrCorrupt", tc.name, err)
		}
	}
	setRoot(saved)
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("verify once restored: %v %v", err, rep.Problems)
	}
}

// TestPatchDecodeRejects: a patch record round-trips; damaged ones are
// errors wrapping ErrCorrupt, never a panic.
func TestPatchDecodeRejects(t *testing.T) {
	t.Parallel()
	enc := func(ps []patchEntry) []byte {
		t.Helper()
		raw, err := encodePatch(Hash{1}, ps)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	good := enc([]patchEntry{{key: sortKey("5"), id: 7}, {key: sortKey("9")}, {key: sortKey("a"), id: 3}})
	if base, ps, err := decodePatch(good); err != nil || base != (Hash{1}) || len(ps) != 3 || ps[0].id != 7 || ps[2].id != 3 || ps[1].id != 0 {
		t.Fatalf("decode: %v %v", ps, err)
	}
	// A frame of the body as given, for damage inside the frame.
	frame := func(body []byte) []byte {
		t.Helper()
		rec, err := compressTo(append([]byte{patchFormat}, make([]byte, 32)...), body)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if _, ps, err := decodePatch(frame([]byte{1, 0, 1, 'a', 3})); err != nil || len(ps) != 1 || ps[0].id != 1 {
		t.Fatalf("a body made by hand: %v %v", ps, err)
	}
	for name, raw := range map[string][]byte{
		"empty":          enc(nil),
		"truncated":      good[:len(good)-1],
		"trailing bytes": frame([]byte{1, 0, 1, 'a', 3, 0}),
		"truncated body": frame([]byte{1, 0, 1, 'a'}),
		"id 0":           frame([]byte{1, 0, 1, 'a', 1}),
		"not zstd":       append(append([]byte{patchFormat}, make([]byte, 32)...), 1, 0, 1, 'a', 3),
		"unordered":      enc([]patchEntry{{key: sortKey("b"), id: 7}, {key: sortKey("a"), id: 1}}),
		"short":          good[:20],
		"format":         append([]byte{indexFormat}, good[1:]...),
		"too many":       enc(manyEntries(maxPatchEntries + 1)),
		"keys too large": enc(growingKeys(200, 2000)), // 40 MB of keys decoded
	} {
		if _, _, err := decodePatch(raw); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// manyEntries returns n patch entries of numeric keys.
func manyEntries(n int) []patchEntry {
	ps := make([]patchEntry, n)
	for i := range ps {
		ps[i] = patchEntry{key: sortKey(fmt.Sprint(i + 1)), id: uint64(i + 1)}
	}
	return ps
}

// growingKeys returns n patch entries whose keys each extend the one
// before by step bytes: a short record whose keys decode to n²·step/2.
func growingKeys(n, step int) []patchEntry {
	ps := make([]patchEntry, n)
	var k []byte
	for i := range ps {
		k = append(k, bytes.Repeat([]byte{'a'}, step)...)
		ps[i] = patchEntry{key: bytes.Clone(k), id: uint64(i + 1)}
	}
	return ps
}

// TestPatchDecodeLimits: a patch of maxPatchEntries entries decodes.
func TestPatchDecodeLimits(t *testing.T) {
	t.Parallel()
	raw, err := encodePatch(Hash{1}, manyEntries(maxPatchEntries))
	if err != nil {
		t.Fatal(err)
	}
	if _, ps, err := decodePatch(raw); err != nil || len(ps) != maxPatchEntries {
		t.Errorf("%d entries, %v; want %d", len(ps), err, maxPatchEntries)
	}
}

// TestPatchSizeBound: a commit writes a full tree rather than a patch
// larger than maxPatchSize (here lowered), which readers could not, or
// could barely, decode.
func TestPatchSizeBound(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	commit := func(max int) []byte {
		t.Helper()
		db := openTest(t)
		db.maxPatch = max
		snapshotOf(t, db, "acme", n, same)
		s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, func(id int) int { return id % 100 / 99 })
		return rootRecord(t, db, s2, coll)
	}
	_, ps, err := decodePatch(commit(0))
	if err != nil || len(ps) != 20 {
		t.Fatalf("the default bound: %d entries, %v; want a patch of 20", len(ps), err)
	}
	size := patchSize(ps)
	if !isPatch(commit(size)) {
		t.Errorf("a patch of %d bytes under a bound of %d: a full tree", size, size)
	}
	if isPatch(commit(size - 1)) {
		t.Errorf("a patch of %d bytes under a bound of %d: stored", size, size-1)
	}
}

// TestPatchUnorderedBase: a base whose chunks are out of order (each
// sorted, two swapped) is damage: the next run stores a full tree, with
// the run's entries.
func TestPatchUnorderedBase(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", n, same)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		refs, err := refsTx(tx, s1.Collections[coll].Root)
		if err != nil {
			return err
		}
		if len(refs) < 8 {
			return fmt.Errorf("%d chunks", len(refs))
		}
		chunks := tx.Bucket(bucketChunks)
		a, b := bytes.Clone(chunks.Get(idKey(refs[5].id))), bytes.Clone(chunks.Get(idKey(refs[6].id)))
		if err := chunks.Put(idKey(refs[5].id), b); err != nil {
			return err
		}
		return chunks.Put(idKey(refs[6].id), a)
	}); err != nil {
		t.Fatal(err)
	}
	rev := func(id int) int { return id % 100 / 99 }
	s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, rev)
	if isPatch(rootRecord(t, db, s2, coll)) {
		t.Error("s2 is a patch over an unordered base")
	}
	got := objectsAll(t, db, s2, coll)
	for id := 1; id <= n; id++ {
		if got[fmt.Sprint(id)] != string(item(id, rev(id))) {
			t.Fatalf("s2's item %d: %.40q", id, got[fmt.Sprint(id)])
		}
	}
	if err := db.Forget(s1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
}

// TestFormat5UpgradesTo6: a read-write open of a format-5 file keeps a
// copy (.format5, still format 5) and marks the file format 6, contents
// unchanged; a killed upgrade leaves format 5 for the next open to
// upgrade; a file of a newer format is refused, as format-5 builds refuse
// format 6.
func TestFormat5UpgradesTo6(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	db.fullTrees = true // what a format-5 build wrote
	snapshotOf(t, db, "acme", 300, same)
	snapshotOf(t, db, "acme", 300, func(id int) int { return id % 50 / 49 })
	want := contents(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	setFormat(t, path, "5")

	copiedHook = func() error { return errors.New("killed") }
	_, err = Open(path, Options{Logger: quiet})
	copiedHook = nil
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("open with the upgrade killed: %v", err)
	}
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, ro, keyFormat); got != "5" {
		t.Errorf("format %q after the killed upgrade, want 5", got)
	}
	if diff := cmp.Diff(want, contents(t, ro)); diff != "" {
		t.Errorf("contents read-only (-before +now):\n%s", diff)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, db, keyFormat); got != "6" {
		t.Errorf("format %q after the upgrade, want 6", got)
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents after the upgrade (-before +now):\n%s", diff)
	}
	s := snapshotOf(t, db, "acme", 300, func(id int) int { return id % 60 / 59 })
	if !isPatch(rootRecord(t, db, s, "items/contracts")) {
		t.Error("first small change after the upgrade: not a patch")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	kept, err := Open(path+Format5CopySuffix, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	if got := metaValue(t, kept, keyFormat); got != "5" {
		t.Errorf("the copy's format %q, want 5", got)
	}
	if diff := cmp.Diff(want, contents(t, kept)); diff != "" {
		t.Errorf("the copy's contents (-before +copy):\n%s", diff)
	}
	kept.Close()

	setFormat(t, path, fmt.Sprint(FormatVersion+1))
	if _, err := Open(path, Options{Logger: quiet, ReadOnly: true}); !errors.Is(err, ErrNewerFormat) {
		t.Errorf("open of format %d: %v, want ErrNewerFormat", FormatVersion+1, err)
	}
	if _, err := os.Stat(path + Format5CopySuffix); err != nil {
		t.Error(err)
	}
}

func setFormat(t *testing.T, path, format string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(format))
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPatchCrashBeforeRecord: a process that dies after the transaction
// that stores a run's patch and before the one that writes its snapshot
// record (a hot copy taken then, opened as the file left behind) leaves
// no snapshot; recovery removes the patch, and the next run patches
// again.
func TestPatchCrashBeforeRecord(t *testing.T) {
	t.Parallel()
	const coll = "items/contracts"
	dir := t.TempDir()
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 600, same)
	roots := count(t, db, bucketRoots)
	w, err := db.Begin("acme", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 600; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, id%100/99)); err != nil {
			t.Fatal(err)
		}
	}
	crashed := filepath.Join(dir, "crashed.db")
	var patchRoot Hash
	_, err = w.Commit(CommitInfo{FinishedAt: t0.Add(2 * time.Hour), Annotate: func(s *Snapshot) (*Annotation, error) {
		patchRoot = s.Collections[coll].Root
		f, err := os.Create(crashed)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		_, err = db.WriteTo(f)
		return nil, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(crashed, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = c.Close()
		checkFile(t, crashed)
	}()
	if rec := c.Recovered(); len(rec) != 1 || rec[0].ID != w.ID() {
		t.Errorf("recovered %+v, want run %s", rec, w.ID())
	}
	if snaps, _ := c.Snapshots(""); len(snaps) != 1 || snaps[0].ID != s1.ID {
		t.Errorf("snapshots after the crash: %v, want only %s", snaps, s1.ID)
	}
	if _, err := c.getCopy(bucketRoots, patchRoot[:]); err == nil {
		t.Error("the dead run's patch is still there")
	}
	if got := count(t, c, bucketRoots); got != roots {
		t.Errorf("%d roots, want %d", got, roots)
	}
	s := snapshotOf(t, c, "acme", 600, func(id int) int { return id % 100 / 99 })
	if base, ps, err := decodePatch(rootRecord(t, c, s, coll)); err != nil || base != s1.Collections[coll].Root || len(ps) != 6 {
		t.Errorf("the next run's root: %d entries over %s, %v; want 6 over %s", len(ps), base.Short(), err, s1.Collections[coll].Root.Short())
	}
}

// snapshotAt is snapshotOf with the run started at at.
func snapshotAt(t *testing.T, db *DB, ws string, at time.Time, n int, rev func(id int) int) *Snapshot {
	t.Helper()
	w, err := db.Begin(ws, at)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, rev(id))); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPatchDamagedReference: a damaged tree in the latest snapshot (its
// root's base missing, or a chunk of it) does not stop the next run,
// which stores full trees.
func TestPatchDamagedReference(t *testing.T) {
	t.Parallel()
	const coll, n = "items/contracts", 2000
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s1 := snapshotAt(t, db, "acme", t0, n, same)
	s2 := snapshotAt(t, db, "acme", t0.Add(time.Hour), n, func(id int) int { return id % 500 / 499 })
	if !isPatch(rootRecord(t, db, s2, coll)) {
		t.Fatal("s2 is not a patch")
	}
	base := s1.Collections[coll].Root
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketRoots).Delete(base[:]) }); err != nil {
		t.Fatal(err)
	}
	s3 := snapshotAt(t, db, "acme", t0.Add(2*time.Hour), n, func(id int) int { return id % 400 / 399 })
	if isPatch(rootRecord(t, db, s3, coll)) {
		t.Error("over a missing base: a patch, want a full tree")
	}
	want := map[string]string{}
	for id := 1; id <= n; id++ {
		want[fmt.Sprint(id)] = string(item(id, id%400/399))
	}
	if diff := cmp.Diff(want, objectsAll(t, db, s3, coll)); diff != "" {
		t.Errorf("s3 (-want +got):\n%s", diff)
	}
	refs := mustRefs(t, db, s3, coll)
	victim := refs[len(refs)/2].id
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketChunks).Delete(idKey(victim)) }); err != nil {
		t.Fatal(err)
	}
	s4 := snapshotAt(t, db, "acme", t0.Add(3*time.Hour), n, func(id int) int { return id % 300 / 299 })
	if isPatch(rootRecord(t, db, s4, coll)) {
		t.Error("over a tree with a chunk missing: a patch, want a full tree")
	}
	if _, _, err := db.Lookup(s4, coll, "1"); err != nil {
		t.Error(err)
	}
}
