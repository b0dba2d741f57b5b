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

var writeFormat1 = flag.Bool("write-format1", false, "write testdata/format1 with this build (the format-1 writer is gone: keep the checked-in copy)")

// format1Snaps are the snapshots of testdata/format1, a repository that
// the build before format 2 wrote (cmd: go test -run TestFormat1 -write-format1
// on that build).
func format1Snaps() *memSource {
	d1 := day("f1-day1", 1, 60, 0)
	d2 := day("f1-day2", 2, 60, 6)
	return &memSource{snaps: []*memSnap{d1, d2}}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFormat1Write(t *testing.T) {
	if !*writeFormat1 {
		t.Skip("-write-format1 not set")
	}
	dir := filepath.Join("testdata", "format1")
	os.RemoveAll(dir)
	r := newFileRepo(t, dir, "old-daemon")
	if _, err := r.Push(context.Background(), format1Snaps()); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "locks"))
}

// TestFormat1Read: a repository that the build before format 2 wrote
// restores, verifies, takes a push in format 2 beside its format-1
// objects, and prunes; every snapshot restores after each step.
func TestFormat1Read(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "format1"), dir)
	src := format1Snaps()
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
	src.snaps = append(src.snaps, day("f2-day3", 3, 60, 12))
	rep, err := r.Push(ctx, src)
	if err != nil || len(rep.Pushed) != 1 {
		t.Fatalf("push = %+v, %v", rep, err)
	}
	check("after a push", src.snaps...)
	if _, err := r.Forget(ctx, func(ws, id string) bool { return id != "f1-day1" }); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := r.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Now = time.Now
	check("after forget and prune", src.snaps[1:]...)
}
