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

// TestRestoreDBChain: restore-db files each snapshot as the one before it
// plus what differs, whatever the target holds: a collection unchanged
// (same tree), changed a little (a delta, with removals), changed in
// most of its objects (a full tree, compared entry by entry, with
// removals), gone, and new. Every rebuilt snapshot has the original's
// record and objects, and the rebuilt database verifies.
func TestRestoreDBChain(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 5; d++ {
		writeChainDay(t, db, d)
	}
	svc := offsiteTestService(t, dir, db, "chain-Password-1")
	ctx := context.Background()
	if pushes, err := svc.OffsitePush(ctx, ""); err != nil || len(pushes) != 1 || len(pushes[0].Pushed) != 5 {
		t.Fatalf("push = %+v, %v", pushes, err)
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "chain-Password-1", To: filepath.Join(dir, "restored.db")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	a, _ := db.Snapshots("acme")
	b, _ := got.Snapshots("acme")
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("%d and %d snapshots", len(a), len(b))
	}
	for i := range a {
		ja, _ := json.Marshal(recordSansRoots(a[i]))
		jb, _ := json.Marshal(recordSansRoots(b[i]))
		if string(ja) != string(jb) {
			t.Errorf("record differs:\n%s\n%s", ja, jb)
		}
		if !reflect.DeepEqual(objectsOf(t, db, a[i]), objectsOf(t, got, b[i])) {
			t.Errorf("day %d: objects differ", i+1)
		}
		if !reflect.DeepEqual(db.Collections(a[i]), got.Collections(b[i])) {
			t.Errorf("day %d: collections %v, rebuilt %v", i+1, db.Collections(a[i]), got.Collections(b[i]))
		}
	}
	if b[0].Collections["items/people"] != b[4].Collections["items/people"] {
		t.Errorf("an unchanged collection has a new tree: %v, %v", b[0].Collections["items/people"], b[4].Collections["items/people"])
	}
	if rep, err := got.Verify(true, nil); err != nil || len(rep.Problems) != 0 {
		t.Errorf("verify of the rebuilt database = %+v, %v", rep, err)
	}
}

// writeChainDay commits day d of acme: 600 clients (day 2: 10 removed, 5
// changed; day 3: 400 changed and 50 more removed), 100 people that never
// change, notes on days 1 and 2 only, tags from day 4.
func writeChainDay(t *testing.T, db *snapshot.DB, d int) {
	t.Helper()
	at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
	w, err := db.Begin("acme", at)
	if err != nil {
		t.Fatal(err)
	}
	put := func(kind, parent, key string, raw string) {
		if err := w.Put(kind, parent, key, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 600; i++ {
		rev := 0
		switch {
		case d >= 2 && i%60 == 0, d >= 3 && i > 500 && i <= 550:
			continue // removed
		case d >= 3 && i <= 400:
			rev = 3
		case d >= 2 && i%100 == 1:
			rev = 2
		}
		put("items", "clients", fmt.Sprint(i), fmt.Sprintf(`{"id":%d,"name":"client %d","rev":%d}`, i, i, rev))
	}
	for i := 1; i <= 100; i++ {
		put("items", "people", fmt.Sprint(i), fmt.Sprintf(`{"id":%d,"name":"person %d"}`, i, i))
	}
	if d <= 2 {
		put("notes", "", "a", `{"text":"a"}`)
	}
	if d >= 4 {
		put("tags", "", "x", fmt.Sprintf(`{"tag":"x","day":%d}`, d))
	}
	if _, err := w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items", "notes", "tags"}}); err != nil {
		t.Fatal(err)
	}
}
