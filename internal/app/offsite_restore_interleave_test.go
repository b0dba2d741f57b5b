package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Two workspaces interleaved day by day, sharing content, with objects
// that vanish and come back, a collection that vanishes and comes back.
func TestRestoreDBInterleaved(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 4; d++ {
		for _, ws := range []string{"acme", "beta"} {
			at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
			if ws == "beta" {
				at = at.Add(time.Second)
			}
			w, err := db.Begin(ws, at)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 300; i++ {
				if d%2 == 0 && i%7 == 0 {
					continue // gone on even days, back on odd ones
				}
				rev := 0
				if ws == "beta" && i%5 == 0 {
					rev = d
				}
				if err := w.Put("items", "clients", fmt.Sprint(i), []byte(fmt.Sprintf(`{"id":%d,"rev":%d}`, i, rev))); err != nil {
					t.Fatal(err)
				}
			}
			if d != 2 {
				if err := w.Put("notes", "", "a", []byte(fmt.Sprintf(`{"text":"%s"}`, ws))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items", "notes"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	svc := offsiteTestService(t, dir, db, "inter-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "inter-Password-1", To: filepath.Join(dir, "restored.db")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for _, ws := range []string{"acme", "beta"} {
		a, _ := db.Snapshots(ws)
		b, _ := got.Snapshots(ws)
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%s: %d and %d snapshots", ws, len(a), len(b))
		}
		for i := range a {
			ja, _ := json.Marshal(recordSansRoots(a[i]))
			jb, _ := json.Marshal(recordSansRoots(b[i]))
			if string(ja) != string(jb) {
				t.Errorf("%s %d: record differs:\n%s\n%s", ws, i, ja, jb)
			}
			if !reflect.DeepEqual(objectsOf(t, db, a[i]), objectsOf(t, got, b[i])) {
				t.Errorf("%s day %d: objects differ", ws, i+1)
			}
		}
	}
	if vr, err := got.Verify(true, nil); err != nil || len(vr.Problems) != 0 {
		t.Errorf("verify = %+v, %v", vr, err)
	}
}
