package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestRestoreDBSnapshotIDIgnoresOtherWorkspacesNames: acme was pushed by
// host-a and host-b, beta by host-a alone. restore-db --snapshot with
// beta's id (one snapshot, one daemon) restores it: acme, held under two
// names, is not part of the request.
func TestRestoreDBSnapshotIDIgnoresOtherWorkspacesNames(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "target")
	var betaID string
	for _, name := range []string{"host-a", "host-b"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		writeRoundTripDay(t, db, "acme", 1)
		if name == "host-a" {
			writeRoundTripDay(t, db, "beta", 2)
			b, _ := db.Snapshots("beta")
			betaID = b[0].ID
		}
		if _, err := namedOffsiteService(t, dir, db, "sel-Password-1", name, target).OffsitePush(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "sel-Password-1", To: filepath.Join(root, "beta.db"), Snapshot: betaID})
	if err != nil {
		t.Fatalf("restore-db --snapshot %s (beta, pushed by host-a alone): %v", betaID, err)
	}
	if len(rep.Snapshots) != 1 || rep.Snapshots[0] != betaID {
		t.Fatalf("restored %v, want [%s]", rep.Snapshots, betaID)
	}
	// latest, and no --snapshot, still refuse acme's two histories.
	for _, ref := range []string{"", "latest"} {
		_, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "sel-Password-1", To: filepath.Join(root, "all"+ref+".db"), Snapshot: ref})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Absent {
			t.Errorf("restore-db --snapshot %q with acme under two names: %v, want a refusal", ref, err)
		}
	}
}

// TestRestoreDBPartialLeavesNoFailedRuns: beta's one snapshot lost its
// packs; acme is intact and restored whole. The rebuilt database's runs
// are the original's: no failed or cancelled import run, for acme none
// naming beta's damage.
func TestRestoreDBPartialLeavesNoFailedRuns(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := offsiteTestService(t, dir, db, "partial-Password-1")
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	for _, d := range []int{1, 2, 3, 6, 7, 8, 9} {
		writeRoundTripDay(t, db, "acme", d)
	}
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	writeRoundTripDay(t, db, "beta", 5)
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	for _, p := range after {
		if !slices.Contains(before, p) {
			os.Remove(p)
		}
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "partial-Password-1", To: filepath.Join(dir, "restored.db")})
	if !errors.Is(err, ErrRestorePartial) {
		t.Fatalf("restore-db: %+v, %v", rep, err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if a, _ := got.Snapshots("acme"); len(a) != 7 {
		t.Fatalf("acme: %d snapshots restored, want 7", len(a))
	}
	orig, _ := db.Runs("")
	runs, _ := got.Runs("")
	for _, r := range runs {
		if r.Error != "" || r.Outcome == snapshot.OutcomeAborted {
			t.Errorf("restored database: %s run %s (%s, %s): %s", r.Workspace, r.ID, r.Outcome, r.Ending, r.Error)
		}
	}
	if len(runs) != len(orig)-1 {
		t.Errorf("restored database holds %d runs, want the original's %d less beta's one: %d", len(runs), len(orig), len(orig)-1)
	}
}

// TestRestoreDBReportsSeveralDaemonNames: host-a pushed acme, host-b
// beta; restore-db without --name brings both back and reports both
// names (the command warns that such a database must not push), with
// --name only that one.
func TestRestoreDBReportsSeveralDaemonNames(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "target")
	ctx := context.Background()
	for _, name := range []string{"host-a", "host-b"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		writeRoundTripDay(t, db, map[string]string{"host-a": "acme", "host-b": "beta"}[name], 1)
		if _, err := namedOffsiteService(t, dir, db, "names-Password-1", name, target).OffsitePush(ctx, ""); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "names-Password-1", To: filepath.Join(root, "all.db")})
	if err != nil || !slices.Equal(rep.Names, []string{"host-a", "host-b"}) {
		t.Fatalf("restore-db without --name: names %v, %v", rep, err)
	}
	rep, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "names-Password-1", To: filepath.Join(root, "a.db"), Name: "host-a"})
	if err != nil || !slices.Equal(rep.Names, []string{"host-a"}) {
		t.Fatalf("restore-db --name host-a: names %v, %v", rep, err)
	}
}
