package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// twoTargetService is the program over db with two offsite targets: bad,
// at a path under a regular file (it can never be opened), then nas, at
// dir/target.
func twoTargetService(t *testing.T, dir string, db *snapshot.DB) *Service {
	t.Helper()
	for name, text := range map[string]string{"pw": "targets-Password-1\n", "key": "en.abcdefghijklmnopqrstuvwxyz01234567", "file": "a regular file"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf(`database: %s
name: host-a
environments:
  production: {base_url: "http://127.0.0.1:1", api_key_file: key}
workspaces:
  - {name: acme, environment: production}
offsite:
  - {name: bad, url: "file://%s/sub", password_file: pw}
  - {name: nas, url: "file://%s", password_file: pw}
`, filepath.Join(dir, "orig.db"), filepath.Join(dir, "file"), filepath.Join(dir, "target"))
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestOffsiteEveryTarget: a target that cannot be opened does not stop
// the others. Every command runs each target; the failed one's report
// carries its error, with no figures it never reached, and the error
// is a *TargetsError that says the run was partial.
func TestOffsiteEveryTarget(t *testing.T) {
	dir := t.TempDir()
	db := openOrigDB(t, dir)
	writeRoundTripDay(t, db, "acme", 1)
	svc := twoTargetService(t, dir, db)
	ctx := context.Background()
	partial := func(what string, err error) {
		t.Helper()
		var te *TargetsError
		if !errors.As(err, &te) || !te.Partial() || te.AllLocked() || len(te.Failed) != 1 || te.Failed[0].Target != "bad" ||
			!strings.Contains(err.Error(), "1 of 2 offsite targets failed") || !strings.Contains(err.Error(), "offsite target bad") {
			t.Errorf("%s: error %v, want the partial failure of bad", what, err)
		}
	}
	failedFirst := func(what string, target, msg string) {
		t.Helper()
		if target != "bad" || msg == "" || strings.HasPrefix(msg, "offsite target bad:") {
			t.Errorf("%s: first report %s, error %q: want bad's error", what, target, msg)
		}
	}

	pushes, err := svc.OffsitePush(ctx, "")
	partial("push", err)
	if len(pushes) != 2 || len(pushes[1].Pushed) != 1 || pushes[1].Error != "" || pushes[0].Pushed == nil {
		t.Fatalf("push = %+v", pushes)
	}
	failedFirst("push", pushes[0].Target, pushes[0].Error)
	if j, _ := json.Marshal(pushes[0]); !strings.Contains(string(j), `"error":`) {
		t.Errorf("push JSON of the failed target: %s", j)
	}
	if j, _ := json.Marshal(pushes[1]); strings.Contains(string(j), `"error"`) {
		t.Errorf("push JSON of the good target: %s", j)
	}

	snaps, err := svc.OffsiteSnapshots(ctx, "")
	partial("snapshots", err)
	if len(snaps) != 2 || snaps[1].Target != "nas" || snaps[1].Error != "" || snaps[1].Workspace != "acme" {
		t.Fatalf("snapshots = %+v", snaps)
	}
	failedFirst("snapshots", snaps[0].Target, snaps[0].Error)

	verifies, err := svc.OffsiteVerify(ctx, "", false)
	partial("verify", err)
	if errors.Is(err, ErrOffsiteDamaged) || len(verifies) != 2 || verifies[1].Snapshots != 1 || verifies[1].Error != "" {
		t.Fatalf("verify = %+v, %v", verifies, err)
	}
	failedFirst("verify", verifies[0].Target, verifies[0].Error)

	forgets, err := svc.OffsiteForget(ctx, "")
	partial("forget", err)
	if len(forgets) != 2 || forgets[1].Kept != 1 || forgets[1].Error != "" {
		t.Fatalf("forget = %+v", forgets)
	}
	failedFirst("forget", forgets[0].Target, forgets[0].Error)

	prunes, err := svc.OffsitePrune(ctx, "")
	partial("prune", err)
	if len(prunes) != 2 || prunes[1].Packs == 0 || prunes[1].Error != "" {
		t.Fatalf("prune = %+v", prunes)
	}
	failedFirst("prune", prunes[0].Target, prunes[0].Error)

	unlocks, err := svc.OffsiteUnlock(ctx, "", false)
	partial("unlock", err)
	if len(unlocks) != 2 || unlocks[1].Error != "" || unlocks[0].Removed == nil {
		t.Fatalf("unlock = %+v", unlocks)
	}
	failedFirst("unlock", unlocks[0].Target, unlocks[0].Error)

	// One target named, and it fails: not partial, the error as before.
	_, err = svc.OffsitePush(ctx, "bad")
	var te *TargetsError
	if !errors.As(err, &te) || te.Partial() || strings.Contains(err.Error(), "targets failed") || !strings.HasPrefix(err.Error(), "offsite target bad") {
		t.Errorf("push --target bad: %v", err)
	}
}

// blockedSource is a push source that holds its push (and the push's
// lock) in Snapshots until released.
type blockedSource struct {
	dbSource
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockedSource) Snapshots() ([]offsite.Local, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	return b.dbSource.Snapshots()
}

// TestOffsitePruneLockedReport: a prune refused by another process's lock
// gives a report that says so (the error, no zero figures taken for the
// target's), and an error that is all locks.
func TestOffsitePruneLockedReport(t *testing.T) {
	dir := t.TempDir()
	db := openOrigDB(t, dir)
	writeRoundTripDay(t, db, "acme", 1)
	svc := offsiteTestService(t, dir, db, "locked-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	writeRoundTripDay(t, db, "acme", 2)
	repo, err := offsite.Open(ctx, offsite.NewFileBackend(filepath.Join(dir, "target")), offsite.Options{Password: "locked-Password-1", Name: "other", BlobID: blobID})
	if err != nil {
		t.Fatal(err)
	}
	src := &blockedSource{dbSource: dbSource{db}, started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := repo.Push(ctx, src)
		done <- err
	}()
	<-src.started
	prunes, err := svc.OffsitePrune(ctx, "")
	close(src.release)
	if perr := <-done; perr != nil {
		t.Fatalf("the other push: %v", perr)
	}
	var te *TargetsError
	if !errors.Is(err, offsite.ErrLocked) || !errors.As(err, &te) || !te.AllLocked() || te.Partial() {
		t.Fatalf("prune while a push runs: %v", err)
	}
	if len(prunes) != 1 || prunes[0].Target != "nas" || !strings.Contains(prunes[0].Error, "lock") {
		t.Fatalf("prune report = %+v", prunes)
	}
	if j, _ := json.Marshal(prunes); !strings.Contains(string(j), `"error":`) {
		t.Errorf("prune JSON: %s", j)
	}
}
