package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestShortNameOfLostPackNotReused: a's data pack is lost; b then
// pushes other objects whose short names are those a's trees use (the
// lost pack's names are free in the index). a's snapshot then looks
// complete to verify and to a's push (no repair), and restores b's bytes.
func TestShortNameOfLostPackNotReused(t *testing.T) {
	shortNames(t, 1)
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string) *Repo {
		o := testOptions(name)
		o.CacheDir = t.TempDir()
		r, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := open("a")
	srcA := &memSource{snaps: []*memSnap{day("d1", 1, 3, 0)}}
	if _, err := a.Push(ctx, srcA); err != nil {
		t.Fatal(err)
	}
	idx, err := a.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for p, blobs := range idx.packs {
		if len(blobs) > 0 && blobs[0].Type == DataBlob {
			if err := os.Remove(filepath.Join(dir, "data", p.String())); err != nil {
				t.Fatal(err)
			}
		}
	}
	// b's 3000 other objects take (nearly) every 1-byte name.
	b := open("b")
	if _, err := b.Push(ctx, &memSource{snaps: []*memSnap{day("b1", 9, 3000, 3000)}}); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Push(ctx, srcA)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a's push after the loss: %+v", rep)
	got := restoreAll(t, a)
	if g, ok := got["a/d1"]; ok && !reflect.DeepEqual(g, want(srcA.snaps[0])) {
		t.Errorf("snapshot a/d1 restores other objects than it was pushed with (no error): %v", g)
	}
}

// zeroTailSource is memSource with ids from idOf.
type zeroTailSource struct {
	*memSource
	idOf func([]byte) ID
}

func (m *zeroTailSource) Walk(l Local, c string, fn func(string, ID) error) error {
	return m.memSource.Walk(l, c, func(k string, _ ID) error { return fn(k, m.idOf(l.Ref.(*memSnap).colls[c][k])) })
}

func (m *zeroTailSource) Diff(base, l Local, c string, fn func(string, ID, ID) error) error {
	return m.memSource.Diff(base, l, c, func(k string, _, _ ID) error {
		var o, n ID
		if v, ok := base.Ref.(*memSnap).colls[c][k]; ok {
			o = m.idOf(v)
		}
		if v, ok := l.Ref.(*memSnap).colls[c][k]; ok {
			n = m.idOf(v)
		}
		return fn(k, o, n)
	})
}

// TestZeroTailIDConfirmed: an object whose id's bytes 8..16 are
// zero has a "long" name that is its short name; push trusts it without
// confirmation and dedupes it against another object under that short name.
func TestZeroTailIDConfirmed(t *testing.T) {
	ctx := context.Background()
	x := []byte(`{"object":"x"}`)
	yb := []byte(`{"object":"y"}`)
	xid := ID(sha256.Sum256(x))
	var yid ID
	copy(yid[:8], xid[:8]) // bytes 8..16 zero
	for i := 16; i < len(yid); i++ {
		yid[i] = 0xff
	}
	idOf := func(raw []byte) ID {
		if bytes.Equal(raw, yb) {
			return yid
		}
		return sha256.Sum256(raw)
	}
	o := testOptions("a")
	o.BlobID = func(raw []byte) (ID, error) { return idOf(raw), nil }
	o.CacheDir = t.TempDir()
	r, err := OpenOrInit(ctx, &fileBackend{dir: t.TempDir()}, o)
	if err != nil {
		t.Fatal(err)
	}
	snap := func(id string, d int, kv map[string][]byte) *memSnap {
		return &memSnap{id: id, ws: "ws", at: time.Date(2026, 1, d, 3, 0, 0, 0, time.UTC), colls: map[string]map[string][]byte{"c": kv}}
	}
	src := &zeroTailSource{memSource: &memSource{snaps: []*memSnap{snap("d1", 1, map[string][]byte{"x": x})}}, idOf: idOf}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	src.snaps = append(src.snaps, snap("d2", 2, map[string][]byte{"y": yb}))
	rep, err := r.Push(ctx, src)
	if err != nil {
		// refusing the object is acceptable: it has no name of its own
		t.Logf("push refused: %v", err)
		return
	}
	if rep.Blobs != 1 {
		t.Errorf("object y (another object than x, same 8 first bytes) uploaded %d times, want 1", rep.Blobs)
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
	for _, s := range snaps {
		err := rs.Objects(ctx, s, func(c, k string, raw []byte) error {
			if k == "y" && !bytes.Equal(raw, yb) {
				t.Errorf("key y restores %s", raw)
			}
			return nil
		})
		if err != nil {
			t.Logf("restore %s: %v", s.LocalID, err)
		}
	}
}
