//go:build unix

package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestRestoreDBKilled: restore-db builds its database without an fsync
// per commit, so a restore-db killed while it files objects must leave
// nothing at --to; the next restore-db to that path removes the leftover
// and rebuilds a database that verifies and holds the original objects.
// The restore runs in a child process (this test binary) and is killed
// with SIGKILL while it waits for a data pack that is a FIFO nobody
// writes: its database file exists, and it cannot finish.
func TestRestoreDBKilled(t *testing.T) {
	if target := os.Getenv("ENSPACE_RESTORE_DB_CHILD_FROM"); target != "" {
		_, err := RestoreDB(context.Background(), RestoreDBRequest{From: "file://" + target, Password: "killed-Password-1", To: os.Getenv("ENSPACE_RESTORE_DB_CHILD_TO")})
		t.Fatalf("restore-db returned, want it killed while it waits: %v", err)
	}
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writeBulkyDay(t, db, 1)
	writeBulkyDay(t, db, 2)
	svc := offsiteTestService(t, dir, db, "killed-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// The largest pack holds the objects (they are bulky and random;
	// the trees hold a few hundred keys).
	target := filepath.Join(dir, "target")
	packs, _ := filepath.Glob(filepath.Join(target, "data", "*", "*"))
	if len(packs) == 0 {
		packs, _ = filepath.Glob(filepath.Join(target, "data", "*"))
	}
	var largest string
	var size int64
	for _, p := range packs {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > size {
			largest, size = p, fi.Size()
		}
	}
	if largest == "" {
		t.Fatalf("no pack under %s", target)
	}
	saved := largest + ".saved"
	if err := os.Rename(largest, saved); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(largest, 0o600); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "restored", "enspace-sync.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestoreDBKilled$")
	cmd.Env = append(os.Environ(), "ENSPACE_RESTORE_DB_CHILD_FROM="+target, "ENSPACE_RESTORE_DB_CHILD_TO="+to)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(time.Minute)
	for waiting := true; waiting; {
		select {
		case err := <-exited:
			t.Fatalf("the child restore-db exited before it was killed: %v", err)
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("the child restore-db never created its database")
		case <-time.After(5 * time.Millisecond):
			_, err := os.Stat(to + ".restoring")
			waiting = err != nil
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if _, err := os.Lstat(to); !os.IsNotExist(err) {
		t.Fatalf("a killed restore-db left %s: %v", to, err)
	}
	if err := os.Remove(largest); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(saved, largest); err != nil {
		t.Fatal(err)
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "killed-Password-1", To: to})
	if err != nil {
		t.Fatalf("restore-db after a killed one: %v", err)
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if vr, err := got.Verify(true, nil); err != nil || len(vr.Problems) != 0 {
		t.Errorf("verify of the rebuilt database = %+v, %v", vr, err)
	}
	a, _ := db.Snapshots("acme")
	b, _ := got.Snapshots("acme")
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("%d and %d snapshots", len(a), len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(objectsOf(t, db, a[i]), objectsOf(t, got, b[i])) {
			t.Errorf("day %d: objects differ", i+1)
		}
	}
	if left, _ := filepath.Glob(to + ".restoring*"); len(left) != 0 {
		t.Errorf("restore-db left %v", left)
	}
}

// writeBulkyDay commits day d of acme: 200 items of 8 KB of hex noise
// each (day 2 changes 10 of them).
func writeBulkyDay(t *testing.T, db *snapshot.DB, d int) {
	t.Helper()
	at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
	w, err := db.Begin("acme", at)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 4096)
	for i := 1; i <= 200; i++ {
		rev := 1
		if d >= 2 && i%20 == 0 {
			rev = 2
		}
		rng := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), byte(rev)})
		_, _ = rng.Read(noise)
		raw := fmt.Sprintf(`{"id":%d,"rev":%d,"blob":%q}`, i, rev, hex.EncodeToString(noise))
		if err := w.Put("items", "clients", fmt.Sprint(i), []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items"}}); err != nil {
		t.Fatal(err)
	}
}
