package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestOffsitePushRepairsDamage (from an audit): a data pack lost from the
// target, a byte flipped in one, or an index file deleted, is found by
// verify, which names the snapshots that can no longer be restored; prune
// refuses to run; the next push uploads what they miss again (and a new
// snapshot dedupes nothing against the damage), after which verify finds
// no incomplete snapshot and restore-db of every snapshot works.
func TestOffsitePushRepairsDamage(t *testing.T) {
	cases := []struct {
		name     string
		readData bool
		damage   func(t *testing.T, target string)
	}{
		{"lost pack", false, func(t *testing.T, target string) {
			must(t, os.Remove(filepath.Join(target, "data", largestFile(t, filepath.Join(target, "data")))))
		}},
		{"flipped byte", true, func(t *testing.T, target string) {
			p := filepath.Join(target, "data", largestFile(t, filepath.Join(target, "data")))
			b, err := os.ReadFile(p)
			must(t, err)
			b[len(b)/3] ^= 0x10
			must(t, os.WriteFile(p, b, 0o600))
		}},
		{"lost index file", false, func(t *testing.T, target string) {
			must(t, os.Remove(filepath.Join(target, "index", largestFile(t, filepath.Join(target, "index")))))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			target := filepath.Join(root, "target")
			dir := filepath.Join(root, "a")
			must(t, os.MkdirAll(dir, 0o700))
			db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
			must(t, err)
			defer db.Close()
			day := func(d int) {
				at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
				w, err := db.Begin("acme", at)
				must(t, err)
				for i := 1; i <= 200; i++ {
					v := i
					if i == d {
						v = -d
					}
					must(t, w.Put("items", "clients", fmt.Sprint(i), []byte(fmt.Sprintf(`{"id":%d,"v":%d}`, i, v))))
				}
				_, err = w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items"}})
				must(t, err)
			}
			day(1)
			day(2)
			svc := namedOffsiteService(t, dir, db, "lost-Password-1", "host-a", target)
			if _, err := svc.OffsitePush(ctx, ""); err != nil {
				t.Fatal(err)
			}
			c.damage(t, target)
			vs, err := svc.OffsiteVerify(ctx, "", c.readData)
			if err == nil || len(vs) != 1 || len(vs[0].Incomplete) == 0 {
				t.Fatalf("verify: %v %+v", err, vs)
			}
			if _, err := svc.OffsitePrune(ctx, ""); err == nil || !strings.Contains(err.Error(), "offsite push") {
				t.Errorf("prune before the repair = %v, want a refusal", err)
			}
			day(3)
			reps, err := svc.OffsitePush(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(reps[0].Repaired) != len(vs[0].Incomplete) || len(reps[0].Pushed) != len(vs[0].Incomplete)+1 {
				t.Errorf("push after the damage: %+v, want the %d incomplete snapshots pushed again and the new one", reps[0].PushReport, len(vs[0].Incomplete))
			}
			if vs, _ := svc.OffsiteVerify(ctx, "", true); len(vs[0].Incomplete) > 0 {
				t.Errorf("after the push the target still has incomplete snapshots: %+v %+v", vs[0].Incomplete, vs[0].Problems)
			}
			for _, snap := range []string{"latest", ""} {
				to := filepath.Join(root, "restored"+snap+".db")
				rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "lost-Password-1", To: to, Snapshot: snap})
				if err != nil {
					t.Errorf("restore-db --snapshot %q: %v", snap, err)
				} else if snap == "" && len(rep.Snapshots) != 3 {
					t.Errorf("restore-db of every snapshot restored %v", rep.Snapshots)
				}
			}
			if _, err := svc.OffsitePrune(ctx, ""); err != nil {
				t.Errorf("prune after the repair: %v", err)
			}
		})
	}
}

func largestFile(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	must(t, err)
	var name string
	var size int64
	for _, e := range es {
		if fi, err := e.Info(); err == nil && fi.Size() > size {
			name, size = e.Name(), fi.Size()
		}
	}
	if name == "" {
		t.Fatalf("nothing in %s", dir)
	}
	return name
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
