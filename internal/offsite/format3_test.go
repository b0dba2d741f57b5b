package offsite

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var writeFormat3 = flag.Bool("write-format3", false, "write testdata/format3 with this build (the format-3 writer is gone: keep the checked-in copy)")

// format3Snaps are the snapshots of testdata/format3, a repository that
// the last format-3 build wrote (cmd: go test -run TestFormat3Write
// -write-format3 on that build): a full tree, then a delta, each with
// index entries given by chunk.
func format3Snaps() *memSource {
	d1 := day("f3-day1", 1, 200, 0)
	d2 := day("f3-day2", 2, 200, 8)
	return &memSource{snaps: []*memSnap{d1, d2}}
}

func TestFormat3Write(t *testing.T) {
	if !*writeFormat3 {
		t.Skip("-write-format3 not set")
	}
	dir := filepath.Join("testdata", "format3")
	os.RemoveAll(dir)
	r := newFileRepo(t, dir, "old-daemon")
	if _, err := r.Push(context.Background(), format3Snaps()); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "locks"))
}

// TestFormat3Read: a repository that the last format-3 build wrote
// restores, verifies, takes a push in this build's format beside its
// format-3 objects, and prunes; every snapshot restores after each step.
func TestFormat3Read(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "format3"), dir)
	src := format3Snaps()
	r := newFileRepo(t, dir, "old-daemon")
	check := func(step string, snaps ...*memSnap) {
		t.Helper()
		got := restoreAll(t, r)
		if len(got) != len(snaps) {
			t.Fatalf("%s: %d snapshots restored, want %d", step, len(got), len(snaps))
		}
		for _, s := range snaps {
			if !reflect.DeepEqual(got["old-daemon/"+s.id], want(s)) {
				t.Errorf("%s: snapshot %s restores other objects", step, s.id)
			}
		}
		if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
			t.Errorf("%s: verify = %+v, %v", step, v.Problems, err)
		}
	}
	check("as written", src.snaps...)
	// a third day: a delta on the format-3 tree, and new objects beside
	// ones the format-3 packs hold
	src.snaps = append(src.snaps, day("f4-day3", 3, 230, 16))
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Pushed) != 1 {
		t.Fatalf("push = %+v, %v", rep, err)
	}
	check("after a push", src.snaps...)
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id != "f3-day1" }); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	check("after forget and prune", src.snaps[1:]...)
}
