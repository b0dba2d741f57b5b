package offsite

import (
	"context"
	"crypto/sha256"
	"reflect"
	"testing"
	"time"
)

// renamed returns s's objects under other keys in another workspace:
// the same data blobs, other leaves.
func renamed(s *memSnap, id, ws string) *memSnap {
	out := &memSnap{id: id, ws: ws, at: s.at, colls: map[string]map[string][]byte{}}
	for c, kv := range s.colls {
		out.colls[c] = map[string][]byte{}
		for k, v := range kv {
			out.colls[c]["x"+k] = v
		}
	}
	return out
}

// TestVerifyDropsResolvedRefsOfALostChunk: a tree pack whose chunks name
// objects by chunk is lost. Verify reports the index entries; a push
// with a cold cache leaves those objects out and uploads them again (the
// doc's promise), but the push with the warm resolved/ cache (which
// verify does not drop) believes the target holds them: the new
// snapshot's objects are never uploaded and it cannot be restored.
func TestVerifyDropsResolvedRefsOfALostChunk(t *testing.T) {
	ctx := context.Background()
	dir, cache := t.TempDir(), t.TempDir()
	open := func(cacheDir string) *Repo {
		opts := testOptions("a")
		opts.CacheDir = cacheDir
		r, err := OpenOrInit(ctx, &fileBackend{dir: dir}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	s1 := day("s1", 1, 300, 0)
	r := open(cache)
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{s1}}); err != nil {
		t.Fatal(err)
	}
	// Lose the tree pack the by-chunk entries name.
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var chunk Ref
	for _, from := range idx.from {
		for _, f := range from {
			if f.OK {
				chunk = f.Chunk
			}
		}
	}
	loc, ok := idx.lookup(chunk)
	if !ok {
		t.Fatal("no by-chunk entry")
	}
	if err := r.b.Delete(ctx, "data/"+loc.pack.String()); err != nil {
		t.Fatal(err)
	}
	v, err := open(cache).Verify(ctx, false)
	if err != nil || len(v.Problems) == 0 {
		t.Fatalf("verify = %+v, %v", v.Problems, err)
	}
	t.Logf("verify: %+v", v.Problems)
	// The same objects under other keys, in another workspace (no delta).
	s2 := renamed(s1, "s2", "other-ws")
	rep, err := open(cache).Push(ctx, &memSource{snaps: []*memSnap{s1, s2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push with the warm cache after verify uploaded %d objects", rep.Blobs)
	// A fresh machine restores s2.
	fresh := open("")
	snaps, err := fresh.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var s2r *Snapshot
	for _, s := range snaps {
		if s.LocalID == "s2" {
			s2r = s
		}
	}
	if s2r == nil {
		t.Fatal("s2 not pushed")
	}
	rs, err := fresh.NewRestorer(ctx, []*Snapshot{s2r}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]map[string]string{}
	err = rs.Objects(ctx, s2r, func(c, k string, raw []byte) error {
		if got[c] == nil {
			got[c] = map[string]string{}
		}
		got[c][k] = string(raw)
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, want(s2)) {
		t.Errorf("s2, pushed after verify reported the damage, cannot be restored on a fresh machine: %v", err)
	}
}

// TestRestoreLeavesOutOnlyTheObjectOfALostChunk: one index entry given by chunk that
// cannot be resolved (its chunk is in no index: the damage the doc says
// restore logs, leaving that one blob out) makes restore fail for a
// snapshot that does not need that blob: the restorer checks every
// object of a pack it prepares, and the unresolved one, left with a zero
// ref, "does not hash to its id", so no object of its pack restores.
func TestRestoreLeavesOutOnlyTheObjectOfALostChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	s1 := day("s1", 1, 300, 0)
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{s1}}); err != nil {
		t.Fatal(err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var x Ref
	var pos ChunkPos
	for pack, from := range idx.from {
		for i, f := range from {
			if f.OK {
				x, pos = idx.packs[pack][i].Ref, f
			}
		}
	}
	// s2: the other objects, under other keys, in another workspace.
	s2 := renamed(s1, "s2", "other-ws")
	dropped := false
	for c, kv := range s2.colls {
		for k, v := range kv {
			if id := sha256.Sum256(v); ID(id).named(x) {
				delete(s2.colls[c], k)
				dropped = true
			}
		}
	}
	if !dropped {
		t.Fatal("no key for the object")
	}
	if _, err := r.Push(ctx, &memSource{snaps: []*memSnap{s1, s2}}); err != nil {
		t.Fatal(err)
	}
	// Damage: x's entry names a chunk no index lists.
	rewriteIndex(t, r, func(packs []IndexPack) {
		for _, p := range packs {
			for i := range p.Blobs {
				if p.byChunk(i) && p.From[i] == pos {
					p.From[i].Chunk = Ref{0xee}
				}
			}
		}
	})
	fresh := newFileRepo(t, dir, "a")
	snaps, err := fresh.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var s2r *Snapshot
	for _, s := range snaps {
		if s.LocalID == "s2" {
			s2r = s
		}
	}
	rs, err := fresh.NewRestorer(ctx, []*Snapshot{s2r}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]map[string]string{}
	err = rs.Objects(ctx, s2r, func(c, k string, raw []byte) error {
		if got[c] == nil {
			got[c] = map[string]string{}
		}
		got[c][k] = string(raw)
		return nil
	})
	w := want(s2)
	for c, kv := range w {
		if len(kv) == 0 {
			delete(w, c) // a collection left empty gives no object
		}
	}
	if err != nil || !reflect.DeepEqual(got, w) {
		t.Errorf("s2 does not need the blob whose entry is damaged, yet does not restore: %v", err)
	}
}

// TestPushKilledAtEachUploadThenPushedAgain: a push that fails at each upload in
// turn (packs, tree packs, index files, the record), then a push that
// completes: every snapshot restores and verifies with --read-data.
func TestPushKilledAtEachUploadThenPushedAgain(t *testing.T) {
	ctx := context.Background()
	for ok := int64(1); ok < 60; ok += 2 {
		dir := t.TempDir()
		opts := testOptions("a")
		opts.PackSize = 2 << 10
		base, err := OpenOrInit(ctx, &fileBackend{dir: dir}, opts)
		if err != nil {
			t.Fatal(err)
		}
		src := &memSource{snaps: []*memSnap{day("k1", 1, 600, 0)}}
		if _, err := base.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
		src.snaps = append(src.snaps, day("k2", 2, 600, 40), renamed(day("k3", 3, 600, 600), "k3", "ws3"))
		fb := &flaky{Backend: &fileBackend{dir: dir}}
		fb.okPuts.Store(ok)
		fr, err := Open(ctx, fb, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, perr := fr.Push(ctx, src)
		if _, err := base.Push(ctx, src); err != nil {
			t.Fatalf("ok=%d: push after a failed one: %v", ok, err)
		}
		got := restoreAll(t, base)
		for _, s := range src.snaps {
			if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
				t.Errorf("ok=%d: %s restores other objects", ok, s.id)
			}
		}
		if v, err := base.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
			t.Errorf("ok=%d: verify = %+v, %v", ok, v.Problems, err)
		}
		if perr == nil {
			break
		}
	}
}

// TestTwoDaemonsThenForgetAndPrune: two daemons push overlapping
// objects at once (each its own copies of shared chunks and objects),
// one forgets its first snapshots, prune (after the window) dedups and
// repacks: everything left restores and verifies.
func TestTwoDaemonsThenForgetAndPrune(t *testing.T) {
	ctx := context.Background()
	for iter := 0; iter < 4; iter++ {
		dir := t.TempDir()
		mk := func(name string) *Repo {
			opts := testOptions(name)
			opts.PackSize = 4 << 10
			r, err := OpenOrInit(ctx, &fileBackend{dir: dir}, opts)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		ra, rb := mk("a"), mk("b")
		sa := &memSource{snaps: []*memSnap{day("a1", 1, 800, 0), day("a2", 2, 800, 100)}}
		sb := &memSource{snaps: []*memSnap{day("b1", 1, 800, 0), day("b2", 3, 800, 300)}}
		errs := make(chan error, 2)
		go func() { _, err := ra.Push(ctx, sa); errs <- err }()
		go func() { _, err := rb.Push(ctx, sb); errs <- err }()
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ra.Forget(ctx, func(ws, id string) bool { return id != "a1" }); err != nil {
			t.Fatal(err)
		}
		if _, err := rb.Forget(ctx, func(ws, id string) bool { return id != "b1" }); err != nil {
			t.Fatal(err)
		}
		ra.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
		rep, err := ra.Prune(ctx)
		ra.opts.Now = time.Now
		if err != nil {
			t.Fatal(err)
		}
		fresh := mk("c")
		got := restoreAll(t, fresh)
		if !reflect.DeepEqual(got["a/a2"], want(sa.snaps[1])) || !reflect.DeepEqual(got["b/b2"], want(sb.snaps[1])) {
			t.Errorf("iter %d (prune %+v): restores other objects", iter, rep)
		}
		if v, err := fresh.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
			t.Errorf("iter %d: verify = %+v, %v", iter, v.Problems, err)
		}
	}
}
