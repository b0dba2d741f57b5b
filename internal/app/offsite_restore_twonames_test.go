package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Two daemons back the same workspace up onto one target; restore-db of all.
func TestRestoreDBTwoNames(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "target")
	var dbs []*snapshot.DB
	for n, name := range []string{"host-a", "host-b"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
		for d := 1; d <= 3; d++ {
			at := time.Date(2026, 3, d, 3, 0, n, 0, time.UTC)
			w, err := db.Begin("acme", at)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 200; i++ {
				if (i+d+n)%9 == 0 {
					continue
				}
				if err := w.Put("items", "clients", fmt.Sprint(i), []byte(fmt.Sprintf(`{"id":%d,"v":%d}`, i, (i*d+n)%4))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := namedOffsiteService(t, dir, db, "two-Password-1", name, target).OffsitePush(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "two-Password-1", To: filepath.Join(root, "restored.db")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	b, _ := got.Snapshots("acme")
	if len(b) != 6 {
		t.Fatalf("%d snapshots", len(b))
	}
	want := map[string]any{}
	for _, db := range dbs {
		a, _ := db.Snapshots("acme")
		for _, s := range a {
			want[s.ID] = objectsOf(t, db, s)
		}
	}
	for _, s := range b {
		w, ok := want[s.ID]
		if !ok {
			j, _ := json.Marshal(s)
			t.Fatalf("restored snapshot %s not in the originals: %s", s.ID, j)
		}
		if !reflect.DeepEqual(w, objectsOf(t, got, s)) {
			t.Errorf("snapshot %s: objects differ", s.ID)
		}
	}
}
