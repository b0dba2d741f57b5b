package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestDiskFull puts the database on a 1 MiB tmpfs and backs up more than
// fits (36,000 items, about 1.9 MiB in format 5): the run fails and says why, the database verifies and lists no
// snapshot; once the file system is grown, the next backup is complete.
// It needs root (to mount a tmpfs) and is skipped otherwise.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs; not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })

	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 12000})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, hs.URL, "")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(mnt, "enspace-sync.db")
	lines := strings.SplitN(string(text), "\n", 2)
	if err := os.WriteFile(cfg, []byte("database: "+dbPath+"\n"+lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runSelf(t, "backup", "--config", cfg)
	if err == nil {
		t.Fatalf("a backup larger than the file system succeeded:\n%s", out)
	}
	if !strings.Contains(out, "no space left on device") {
		t.Errorf("the failure does not say why:\n%s", out)
	}
	if vout, err := runSelf(t, "verify", "--config", cfg, "--read-data"); err != nil {
		t.Fatalf("verify after the failed run: %v\n%s", err, vout)
	}
	if got := countSnapshots(t, cfg); got != 0 {
		t.Errorf("%d snapshots listed after a failed run, want 0", got)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup once space is free: %v\n%s", err, out)
	}
	if got := countSnapshots(t, cfg); got != 1 {
		t.Errorf("%d snapshots after the second run, want 1", got)
	}
	if vout, err := runSelf(t, "verify", "--config", cfg, "--read-data"); err != nil {
		t.Fatalf("verify: %v\n%s", err, vout)
	}
}
