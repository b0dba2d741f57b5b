package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestRestoreDBPartial: the packs of the push of beta's third snapshot
// are lost after the last push (which would have repaired them).
// restore-db restores acme whole and beta up to day 2, lists day 3 (its
// packs) and the fourth (built on it) as not restored, and returns
// ErrRestorePartial with the report; the database holds the rest.
func TestRestoreDBPartial(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := offsiteTestService(t, dir, db, "partial-Password-1")
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	for d := 1; d <= 2; d++ {
		writeRoundTripDay(t, db, "acme", d)
		writeRoundTripDay(t, db, "beta", d)
	}
	writeRoundTripDay(t, db, "acme", 3)
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	writeRoundTripDay(t, db, "beta", 5) // objects acme's days do not hold
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	writeRoundTripDay(t, db, "beta", 6)
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// Lost after the last push (a push would repair them).
	lost := 0
	for _, p := range after {
		if !slices.Contains(before, p) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			lost++
		}
	}
	if lost == 0 {
		t.Fatal("the push of beta's third snapshot wrote no pack")
	}
	beta, _ := db.Snapshots("beta")
	acme, _ := db.Snapshots("acme")

	p := &recordingProgress{}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "partial-Password-1", To: filepath.Join(dir, "restored.db"), Progress: p})
	if !errors.Is(err, ErrRestorePartial) || rep == nil {
		t.Fatalf("restore-db of a target that lost a push's packs: %+v, %v", rep, err)
	}
	if !strings.Contains(err.Error(), beta[2].ID) || !strings.Contains(err.Error(), beta[3].ID) {
		t.Errorf("the error does not name the snapshots not restored: %v", err)
	}
	if len(rep.Failed) != 2 || rep.Failed[0].Snapshot != beta[2].ID || rep.Failed[1].Snapshot != beta[3].ID ||
		!strings.Contains(rep.Failed[1].Error, "built on snapshot "+beta[2].ID) || rep.Failed[0].Error == "" {
		t.Fatalf("failed = %+v", rep.Failed)
	}
	want := []string{acme[0].ID, acme[1].ID, acme[2].ID, beta[0].ID, beta[1].ID}
	if got := slices.Sorted(slices.Values(rep.Snapshots)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("restored %v, want %v", rep.Snapshots, want)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for ws, orig := range map[string][]*snapshot.Snapshot{"acme": acme, "beta": beta[:2]} {
		b, _ := got.Snapshots(ws)
		if len(b) != len(orig) {
			t.Fatalf("%s: %d snapshots restored, want %d", ws, len(b), len(orig))
		}
		for i := range b {
			if b[i].ID != orig[i].ID || !mapsEqual(objectsOf(t, db, orig[i]), objectsOf(t, got, b[i])) {
				t.Errorf("%s: snapshot %s differs from the original %s", ws, b[i].ID, orig[i].ID)
			}
		}
	}
	// The failures name their cause as the target's damage names it,
	// not wrapped in the collection that waited for it ("collection
	// types: ... collection items/clients"); the aborted imports leave no
	// run: the rebuilt database's runs are the original's.
	for _, f := range rep.Failed {
		if strings.Count(f.Error, "collection ") > 1 {
			t.Errorf("snapshot %s of %s: mislabelled cause %q", f.Snapshot, f.Workspace, f.Error)
		}
	}
	runs, err := got.Runs("")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Error != "" {
			t.Errorf("run %s of %s: aborted import logged: %q", r.ID, r.Workspace, r.Error)
		}
	}
	if vr, err := got.Verify(true, nil); err != nil || len(vr.Problems) != 0 {
		t.Errorf("verify of the partial database = %+v, %v", vr, err)
	}
	// The progress counts what the database holds: the objects of the
	// imports that failed are taken back, and the total loses the
	// snapshots not restored (but never below the count: these records
	// understate their changes, so it may be raised instead).
	filed := storedAnew(t, got, "acme") + storedAnew(t, got, "beta")
	if len(p.updates) == 0 || p.updates[len(p.updates)-1] != filed {
		t.Errorf("updates end at %v, want %d", p.updates[max(0, len(p.updates)-1):], filed)
	}
	if len(p.expects) != 2 || (p.expects[1] >= p.expects[0] && p.expects[1] > filed) {
		t.Errorf("Expect(%v): want a total, then one lowered for the snapshots not restored (or up to the count, %d)", p.expects, filed)
	}

	// Only beta's day 3 and 4: nothing can be restored, no database.
	to := filepath.Join(dir, "none.db")
	_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "partial-Password-1", To: to, Workspace: "beta", Snapshot: beta[2].ID})
	if err == nil || errors.Is(err, ErrRestorePartial) || !errors.Is(err, offsite.ErrNotExist) {
		t.Errorf("restore-db of the lost snapshot alone: %v", err)
	}
	if _, err := os.Stat(to); err == nil {
		t.Error("a restore-db that restored nothing left a database")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
