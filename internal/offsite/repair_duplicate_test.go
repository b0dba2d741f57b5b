package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// failSnapshotDelete fails deleting snapshot records while fail is set:
// a push killed between writing a new record and deleting the old.
type failSnapshotDelete struct {
	Backend
	fail bool
}

func (b *failSnapshotDelete) Delete(ctx context.Context, name string) error {
	if b.fail && strings.HasPrefix(name, "snapshots/") {
		return errors.New("injected: connection dropped")
	}
	return b.Backend.Delete(ctx, name)
}

// The repair of a delta snapshot whose delta chunk was lost writes a
// full tree: the old record stays broken. A repair killed after writing
// the new record and before deleting the old leaves both; the next push
// must delete the broken one (else verify names it and prune refuses for
// good), and the newest record of the snapshot must come first in
// Snapshots (restore-db keeps the newest).
func TestRepairKilledBeforeDeletingOldRecordLeavesNoBrokenDuplicate(t *testing.T) {
	for iter := 0; iter < 8; iter++ {
		ctx := context.Background()
		dir := t.TempDir()
		o := testOptions("a")
		o.CacheDir = t.TempDir()
		fb := &failSnapshotDelete{Backend: &fileBackend{dir: dir}}
		r, err := OpenOrInit(ctx, fb, o)
		if err != nil {
			t.Fatal(err)
		}
		src := &memSource{snaps: []*memSnap{chainDay(1)}}
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
		before := dataNames(t, filepath.Join(dir, "data"))
		src.snaps = append(src.snaps, chainDay(2))
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
		for n := range dataNames(t, filepath.Join(dir, "data")) {
			if !before[n] {
				if err := os.Remove(filepath.Join(dir, "data", n)); err != nil {
					t.Fatal(err)
				}
			}
		}
		fb.fail = true
		if _, err := r.Push(ctx, src); err == nil {
			t.Fatal("push with failing delete succeeded")
		}
		fb.fail = false
		all, err := r.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var c02 []*Snapshot
		for _, s := range all {
			if s.LocalID == "c02" {
				c02 = append(c02, s)
			}
		}
		if len(c02) != 2 {
			t.Fatalf("iteration %d: the killed repair left %d records of c02, want 2", iter, len(c02))
		}
		if !c02[0].PushedAt.After(c02[1].PushedAt) {
			t.Errorf("iteration %d: Snapshots lists the older record of c02 first (%v, %v)", iter, c02[0].PushedAt, c02[1].PushedAt)
		}
		rep, err := r.Push(ctx, src)
		if err != nil {
			t.Fatalf("iteration %d: push after the killed one: %v", iter, err)
		}
		if rep.Snapshots != 2 {
			t.Errorf("iteration %d: push reports %d snapshots on the target, want 2: %+v", iter, rep.Snapshots, rep)
		}
		all, err = r.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 {
			t.Errorf("iteration %d: %d records after the push, want 2", iter, len(all))
		}
		v, err := r.Verify(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Incomplete) != 0 {
			t.Errorf("iteration %d: after push %+v, verify names incomplete snapshots: %+v", iter, rep, v.Incomplete)
		}
		got := restoreAll(t, r)
		for _, s := range src.snaps {
			if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
				t.Errorf("iteration %d: snapshot %s does not restore as pushed", iter, s.id)
			}
		}
		r.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
		if _, err := r.Prune(ctx); err != nil {
			t.Errorf("iteration %d: prune after the repair: %v", iter, err)
		}
		if t.Failed() {
			return
		}
	}
}

// dataNames lists the names of the files in dir.
func dataNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range es {
		out[e.Name()] = true
	}
	return out
}
