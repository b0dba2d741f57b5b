package app

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func TestRestoreDBLatestDelta(t *testing.T) {
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
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"latest"} {
		rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "chain-Password-1", To: filepath.Join(dir, "r-"+ref+".db"), Snapshot: ref})
		if err != nil {
			t.Fatal(err)
		}
		got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := db.Snapshots("acme")
		b, _ := got.Snapshots("acme")
		if len(b) != 1 || !reflect.DeepEqual(objectsOf(t, db, a[len(a)-1]), objectsOf(t, got, b[0])) {
			t.Errorf("%s: %d snapshots or objects differ", ref, len(b))
		}
		got.Close()
	}
}
