package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
	// Without --name, one workspace under two names is refused (exit 2),
	// naming both: merged, two unrelated histories would interleave, and
	// the next push would republish the other daemon's snapshots.
	_, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "two-Password-1", To: filepath.Join(root, "merged.db")})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Absent || !strings.Contains(err.Error(), "workspace acme") ||
		!strings.Contains(err.Error(), "host-a, host-b") || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("restore-db of one workspace under two names: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "merged.db")); err == nil {
		t.Error("a refused restore-db left a database")
	}
	// --snapshot latest is no way around it: the newest of which daemon?
	if _, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "two-Password-1", To: filepath.Join(root, "latest.db"), Snapshot: "latest"}); !errors.As(err, &ie) {
		t.Fatalf("restore-db --snapshot latest of one workspace under two names: %v", err)
	}
	// With --name, that daemon's history alone, as it took it.
	rep, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "two-Password-1", To: filepath.Join(root, "restored.db"), Name: "host-b"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	a, _ := dbs[1].Snapshots("acme")
	b, _ := got.Snapshots("acme")
	if len(b) != 3 || len(a) != 3 {
		t.Fatalf("%d snapshots restored, %d taken", len(b), len(a))
	}
	for i, s := range b {
		if s.ID != a[i].ID {
			j, _ := json.Marshal(s)
			t.Fatalf("restored snapshot %d is not host-b's %s: %s", i, a[i].ID, j)
		}
		if !reflect.DeepEqual(objectsOf(t, dbs[1], a[i]), objectsOf(t, got, s)) {
			t.Errorf("snapshot %s: objects differ", s.ID)
		}
	}
	// --name latest: that daemon's newest.
	rep, err = RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "two-Password-1", To: filepath.Join(root, "latest-a.db"), Name: "host-a", Snapshot: "latest"})
	if a, _ := dbs[0].Snapshots("acme"); err != nil || len(rep.Snapshots) != 1 || rep.Snapshots[0] != a[2].ID {
		t.Errorf("restore-db --name host-a --snapshot latest = %+v, %v", rep, err)
	}
}

// Two daemons, each with its own workspace, on one target: nothing is
// merged, so restore-db of all needs no --name.
func TestRestoreDBTwoNamesApart(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "target")
	for _, name := range []string{"host-a", "vm"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		writeRoundTripDay(t, db, "ws-"+name, 1)
		if _, err := namedOffsiteService(t, dir, db, "apart-Password-1", name, target).OffsitePush(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "apart-Password-1", To: filepath.Join(root, "restored.db")})
	if err != nil || len(rep.Snapshots) != 2 {
		t.Fatalf("restore-db = %+v, %v", rep, err)
	}
}
