package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestLockHeld: a backup while another process holds the database does
// not hang: it gives up after its timeout, names the holder, and exits 4.
func TestLockHeld(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, "http://127.0.0.1:1", "")
	dbPath := filepath.Join(dir, "db", "enspace-sync.db")
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(dbPath, snapshot.Options{Command: "enspace-sync run"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	start := time.Now()
	out, err := runSelf(t, "backup", "--config", cfg)
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitLocked {
		t.Fatalf("backup with the lock held: %v, want exit %d\n%s", err, ExitLocked, out)
	}
	if !strings.Contains(out, "database is locked by pid "+fmt.Sprint(os.Getpid())) || !strings.Contains(out, "enspace-sync run") {
		t.Errorf("the error does not name the holder:\n%s", out)
	}
	if !strings.Contains(out, "Try: the daemon holds the database: enspace-sync trigger NAME runs a backup through it") {
		t.Errorf("the error does not say to go through the daemon:\n%s", out)
	}
	if took > 20*time.Second {
		t.Errorf("gave up after %s: it must not hang", took)
	}
	fi, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v, want 0600", fi.Mode().Perm())
	}
}

// TestLockHeldHints: a writing command other than backup, while the daemon
// holds the database, is told what helps it (trigger runs a backup, which
// db compact or a restore has no use for).
func TestLockHeldHints(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, "http://127.0.0.1:1", "")
	dbPath := filepath.Join(dir, "db", "enspace-sync.db")
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(dbPath, snapshot.Options{Command: "enspace-sync run"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "compact"}, "Try: the daemon holds the database: stop it for the time db compact runs (systemctl stop enspace-sync), then start it again"},
		{[]string{"prune"}, "Try: the daemon holds the database, and applies the retention and prunes after each backup itself"},
		{[]string{"run"}, "Try: a daemon is already running on this database (see enspace-sync status)"},
	} {
		out, err := runSelf(t, append(tc.args, "--config", cfg)...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitLocked || !strings.Contains(out, tc.want) || strings.Contains(out, "runs a backup through it") {
			t.Errorf("%s with the daemon's lock held: %v, want exit %d and %q\n%s", tc.args, err, ExitLocked, tc.want, out)
		}
	}
}
