package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

var crashRuns = flag.Int("crash.runs", 5, "backups to kill with SIGKILL in TestCrashDuringBackup")

// TestCrashDuringBackup kills backups with SIGKILL at random moments. After
// each kill the database must open, pass verify --read-data, and list only
// the snapshots of runs that finished; after all of them a backup must work
// as usual. Run more with: go test ./cmd/enspace-sync -run TestCrash -crash.runs 50
func TestCrashDuringBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes; not in -short")
	}
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 1500, Faults: fakeapi.Faults{Latency: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, hs.URL, "concurrency: 4")

	// One undisturbed backup tells how long a run takes.
	start := time.Now()
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("first backup: %v\n%s", err, out)
	}
	full := time.Since(start)
	completed := 1
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killed, committedThenKilled := 0, 0
	for i := 0; i < *crashRuns; i++ {
		cmd := selfCommand("backup", "--config", cfg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(full) * 8 / 10)) // mostly mid-run
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d ended by itself with %v\n%s", i, err, out.String())
			}
			completed++
		case <-time.After(delay):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			if err := <-done; err == nil {
				completed++ // it finished just before the signal
			} else {
				killed++
			}
		}
		if vout, err := runSelf(t, "verify", "--config", cfg, "--read-data"); err != nil {
			t.Fatalf("after kill %d (at %s): verify failed: %v\n%s", i, delay, err, vout)
		}
		// A run killed after its commit but before it exited has a
		// snapshot, complete and verified; any other kill leaves none.
		got := countSnapshots(t, cfg)
		switch {
		case got == completed+1:
			completed, committedThenKilled = got, committedThenKilled+1
		case got != completed:
			t.Fatalf("after kill %d: %d snapshots listed, want %d (only finished runs)", i, got, completed)
		}
	}
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup after the kills: %v\n%s", err, out)
	}
	if got := countSnapshots(t, cfg); got != completed+1 {
		t.Fatalf("after the last backup: %d snapshots, want %d", got, completed+1)
	}
	if out, err := runSelf(t, "verify", "--config", cfg, "--read-data"); err != nil {
		t.Fatalf("final verify: %v\n%s", err, out)
	}
	t.Logf("%d runs: %d killed (%d of them after their commit), %d snapshots; a full run takes %s",
		*crashRuns, killed, committedThenKilled, completed, full)
}

func selfCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ENSPACE_SYNC_TEST_MAIN=1")
	return cmd
}

func runSelf(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := selfCommand(args...).CombinedOutput()
	return string(out), err
}

func countSnapshots(t *testing.T, cfg string) int {
	t.Helper()
	cmd := selfCommand("snapshots", "--config", cfg, "--json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("snapshots: %v", err)
	}
	var snaps []map[string]any
	if err := json.Unmarshal(out, &snaps); err != nil {
		t.Fatalf("snapshots --json: %v\n%s", err, out)
	}
	for _, s := range snaps {
		if s["status"] != "complete" {
			t.Fatalf("snapshot %v is %v, want complete", s["id"], s["status"])
		}
	}
	return len(snaps)
}

// writeTestConfig writes a key file and a config for one workspace, acme,
// of the fake at url, and returns the config's path.
func writeTestConfig(t testing.TB, dir, url string, envExtra string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`database: %s
log: {level: warn}
environments:
  local:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
    %s
workspaces:
  - name: acme
    environment: local
`, filepath.Join(dir, "db", "enspace-sync.db"), url, envExtra)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
