package snapshot

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// model is a snapshot's objects: collection -> key -> raw JSON.
type model map[string]map[string][]byte

func (m model) clone() model {
	out := model{}
	for c, objs := range m {
		out[c] = maps.Clone(objs)
	}
	return out
}

// commitFull commits m with a Put per object.
func commitFull(t *testing.T, db *DB, m model) *Snapshot {
	t.Helper()
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for c, objs := range m {
		kind, parent, _ := strings.Cut(c, "/")
		for k, raw := range objs {
			if err := w.Put(kind, parent, k, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute), Walked: []string{"items", "tags", "notes"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// commitBased commits next as base (whose objects are prev) plus the
// objects that differ.
func commitBased(t *testing.T, db *DB, base *Snapshot, prev, next model) *Snapshot {
	t.Helper()
	w, err := db.BeginFrom(base, t0)
	if err != nil {
		t.Fatal(err)
	}
	for c, objs := range prev {
		kind, parent, _ := strings.Cut(c, "/")
		for k := range objs {
			if _, ok := next[c][k]; !ok {
				if err := w.Delete(kind, parent, k); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for c, objs := range next {
		kind, parent, _ := strings.Cut(c, "/")
		for k, raw := range objs {
			if old, ok := prev[c][k]; ok && string(old) == string(raw) {
				continue
			}
			if err := w.Put(kind, parent, k, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute), Walked: []string{"items", "tags", "notes"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameSnapshot fails unless a and b have the same trees, counts and
// objects, as Walk reads them.
func sameSnapshot(t *testing.T, db *DB, a, b *Snapshot) {
	t.Helper()
	if !maps.Equal(a.Collections, b.Collections) {
		t.Errorf("collections differ:\n full  %v\n based %v", a.Collections, b.Collections)
	}
	if !maps.Equal(a.Counts, b.Counts) || a.Objects != b.Objects || a.Status != b.Status {
		t.Errorf("counts differ: full %v %d %s, based %v %d %s", a.Counts, a.Objects, a.Status, b.Counts, b.Objects, b.Status)
	}
	for _, c := range db.Collections(a) {
		ka, ha := walkAll(t, db, a, c)
		kb, hb := walkAll(t, db, b, c)
		if !slices.Equal(ka, kb) || !slices.Equal(ha, hb) {
			t.Errorf("collection %s: walks differ (%d and %d keys)", c, len(ka), len(kb))
		}
	}
}

// TestBeginFrom: a snapshot committed as its base plus the objects that
// differ (changed, added, deleted; collections untouched, new and
// emptied) has the roots, counts and objects of the same snapshot
// committed with a Put per object, over a chain of random changes.
func TestBeginFrom(t *testing.T) {
	db := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	cur := model{"items/contracts": {}, "items/people": {}, "tags": {}}
	for id := 1; id <= 3000; id++ {
		if id%7 != 0 {
			cur["items/contracts"][fmt.Sprint(id)] = item(id, 0)
		}
	}
	for id := 1; id <= 500; id++ {
		cur["items/people"][fmt.Sprintf("p%d", id)] = item(id, 1)
	}
	for id := 1; id <= 40; id++ {
		cur["tags"][fmt.Sprint(id)] = item(id, 2)
	}
	base := commitFull(t, db, cur)
	for round := range 6 {
		next := cur.clone()
		contracts := next["items/contracts"]
		switch round {
		case 0: // a few changes
			contracts["10"] = item(10, 1)
			delete(contracts, "11")
			contracts["14"] = item(14, 0)
		case 1: // a collection emptied, one new, the last keys changed
			delete(next, "tags")
			next["notes"] = map[string][]byte{"a": item(1, 5), "b": item(2, 5)}
			contracts["2999"] = item(2999, 3)
			contracts["5000"] = item(5000, 0)
		default: // random changes
			for range rng.IntN(300) {
				id := 1 + rng.IntN(3200)
				switch rng.IntN(3) {
				case 0:
					delete(contracts, fmt.Sprint(id))
				default:
					contracts[fmt.Sprint(id)] = item(id, round)
				}
			}
		}
		based := commitBased(t, db, base, cur, next)
		full := commitFull(t, db, next)
		sameSnapshot(t, db, full, based)
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
		base, cur = based, next
	}
	same := commitBased(t, db, base, cur, cur)
	if !maps.Equal(same.Collections, base.Collections) {
		t.Errorf("no change: the roots moved")
	}
}

// TestBeginFromDeleteAndPut: a Put and a Delete of one key in a based run
// keep the Put, in either order; a Delete of a key the base lacks changes
// nothing; a run without a base takes no Delete; a base that is no
// snapshot of the database is refused.
func TestBeginFromDeleteAndPut(t *testing.T) {
	db := openTest(t)
	base := snapshotOf(t, db, "acme", 100, same)
	w, err := db.BeginFrom(base, t0)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return w.Delete("items", "contracts", "5") },
		func() error { return w.Put("items", "contracts", "5", item(5, 9)) },
		func() error { return w.Put("items", "contracts", "6", item(6, 9)) },
		func() error { return w.Delete("items", "contracts", "6") },
		func() error { return w.Delete("items", "contracts", "7") },
		func() error { return w.Delete("items", "contracts", "1000") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 99 || s.Counts["items"] != 99 {
		t.Errorf("objects %d, counts %v; want 99", s.Objects, s.Counts)
	}
	for key, want := range map[string]string{"5": string(item(5, 9)), "6": string(item(6, 9)), "7": ""} {
		raw, _, err := db.Lookup(s, "items/contracts", key)
		if err != nil || string(raw) != want {
			t.Errorf("lookup %s = %.30q, %v; want %.30q", key, raw, err, want)
		}
	}

	plain, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Delete("items", "contracts", "1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("delete without a base: %v", err)
	}
	_ = plain.Abort(nil)

	other := *base
	other.ID = "0123456789abcdef"
	if _, err := db.BeginFrom(&other, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("a base the database lacks: %v", err)
	}
}

// TestBeginFromNothingVisible: a based run that is aborted, or whose base
// is forgotten and pruned before it commits, leaves no snapshot, and the
// database verifies (the cleanup of openTest); the base, while kept,
// reads as before.
func TestBeginFromNothingVisible(t *testing.T) {
	db := openTest(t)
	base := snapshotOf(t, db, "acme", 200, same)
	keys, hashes := walkAll(t, db, base, "items/contracts")
	begin := func() *Writer {
		t.Helper()
		w, err := db.BeginFrom(base, t0)
		if err != nil {
			t.Fatal(err)
		}
		for id := 1; id <= 50; id++ {
			if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 3)); err != nil {
				t.Fatal(err)
			}
			if err := w.Delete("items", "contracts", fmt.Sprint(100+id)); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	if err := begin().Abort(errors.New("stopped")); err != nil {
		t.Fatal(err)
	}
	if snaps, _ := db.Snapshots("acme"); len(snaps) != 1 {
		t.Fatalf("%d snapshots after an aborted based run", len(snaps))
	}
	k2, h2 := walkAll(t, db, base, "items/contracts")
	if !slices.Equal(keys, k2) || !slices.Equal(hashes, h2) {
		t.Fatal("the base changed")
	}

	w := begin()
	if err := db.Forget(base.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("commit on a forgotten base: %v", err)
	}
	if snaps, _ := db.Snapshots("acme"); len(snaps) != 0 {
		t.Fatalf("%d snapshots after a commit on a forgotten base", len(snaps))
	}
}
