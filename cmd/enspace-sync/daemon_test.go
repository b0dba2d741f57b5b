package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestDaemonEndToEnd starts the real program with `run` against the fake
// API on "@every 2s": snapshots accumulate (read with `snapshots` while the
// daemon holds the database), /metrics and /readyz answer, `trigger --wait`
// runs a backup, SIGHUP switches to a slow fake, and SIGTERM in the middle
// of a slow backup stops the daemon with status 0 within 10 seconds,
// leaving a database that verifies, no partial snapshot and the run
// recorded as aborted.
func TestDaemonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; not in -short")
	}
	fast, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	fastSrv := httptest.NewServer(fast)
	defer fastSrv.Close()
	slow, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 1500, Faults: fakeapi.Faults{Latency: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	var slowRequests atomic.Int64
	slowSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowRequests.Add(1)
		slow.ServeHTTP(w, r)
	}))
	defer slowSrv.Close()

	dir := t.TempDir()
	listen := freeAddr(t)
	cfgPath := writeDaemonConfig(t, dir, fastSrv.URL, listen)
	base := "http://" + listen

	start := time.Now()
	cmd := selfCommand("run", "--config", cfgPath)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	}()

	// Snapshots accumulate; the read command goes through the daemon.
	waitUntil(t, 10*time.Second, "the listener", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	waitUntil(t, 20*time.Second, "two snapshots", func() bool { return countSnapshots(t, cfgPath) >= 2 })
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s, want 200", code, body)
	}
	_, metrics := httpGet(t, base+"/metrics")
	for _, want := range []string{`enspace_sync_runs_total{status="complete",workspace="acme"}`,
		`enspace_sync_api_requests_total{code="200",workspace="acme"}`, `enspace_sync_snapshots{workspace="acme"}`,
		`enspace_sync_database_bytes`, `enspace_sync_objects{kind="items",workspace="acme"} 270`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// The other read commands, and the database copy, go through the daemon too.
	for _, args := range [][]string{
		{"diff", "--config", cfgPath, "--stat"},
		{"show", "--config", cfgPath, "latest", "type:contracts"},
		{"export", "--config", cfgPath, "--snapshot", "latest", "--output", filepath.Join(dir, "x.tar.gz"), "--quiet"},
		{"db", "backup", "--config", cfgPath, "--output", filepath.Join(dir, "copy.db")},
	} {
		if out, err := runSelf(t, args...); err != nil {
			t.Errorf("%s while the daemon runs: %v\n%s", args[0], err, out)
		}
	}

	var out string
	waitUntil(t, 10*time.Second, "a triggered run", func() bool {
		// A scheduled run may be in progress (409): ask again.
		out, err = runSelf(t, "trigger", "--config", cfgPath, "--wait", "acme")
		return !strings.Contains(out, "already in progress")
	})
	if err != nil || !strings.Contains(out, "acme: backup complete") {
		t.Errorf("trigger --wait: %v\n%s", err, out)
	}
	// The scrub reads the database back, and its metrics say so.
	out, err = runSelf(t, "trigger", "--config", cfgPath, "--wait", "scrub")
	if err != nil || !strings.Contains(out, "scrub: scrub complete") {
		t.Errorf("trigger --wait scrub: %v\n%s", err, out)
	}
	_, metrics = httpGet(t, base+"/metrics")
	for _, want := range []string{`enspace_sync_scrub_runs_total{status="complete"} 1`, `enspace_sync_scrub_damaged{kind="content"} 0`,
		`enspace_sync_scrub_last_run_timestamp_seconds 1.`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, "enspace_sync_scrub_read_bytes_total 0") {
		t.Errorf("/metrics: the scrub read nothing")
	}
	// A name the daemon does not schedule exits 1 (it names nothing that
	// exists), with the daemon's reason and where to look.
	out, err = runSelf(t, "trigger", "--config", cfgPath, "nosuch")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != ExitError || !strings.Contains(out, "nosuch") || !strings.Contains(out, "Try: enspace-sync status") {
		t.Errorf("trigger of an unknown name: %v\n%s", err, out)
	}
	out, err = runSelf(t, "status", "--config", cfgPath)
	if err != nil || !strings.Contains(out, "schedule   @every 2s") || !strings.Contains(out, "last run   complete") ||
		!strings.Contains(out, "scrub (scrub)\n  schedule   @weekly") {
		t.Errorf("status: %v\n%s", err, out)
	}

	// SIGHUP with a broken config: logged, the running one kept.
	if err := os.WriteFile(cfgPath, []byte("database: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the refused reload", func() bool {
		return strings.Contains(logs.String(), "reload: the config is invalid; keeping the running one")
	})
	if code, _ := httpGet(t, "http://"+listen+"/healthz"); code != 200 {
		t.Errorf("/healthz after a refused reload: %d", code)
	}

	// SIGHUP: the same workspace, now against the slow fake.
	if err := os.WriteFile(cfgPath, []byte(daemonConfig(dir, slowSrv.URL, listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the reload", func() bool { return strings.Contains(logs.String(), "reloaded the config") })
	var before []map[string]any
	waitUntil(t, 10*time.Second, "a backup in progress against the slow fake", func() bool {
		return slowRequests.Load() >= 5
	})
	before = snapshotList(t, cfgPath)

	// SIGTERM in the middle of it.
	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the daemon exited with %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not exit within 10 seconds of SIGTERM")
	}
	stopped := time.Since(stopAt)

	if out, err := runSelf(t, "verify", "--config", cfgPath, "--read-data"); err != nil {
		t.Fatalf("verify after SIGTERM: %v\n%s", err, out)
	}
	after := snapshotList(t, cfgPath)
	if len(after) != len(before) {
		t.Errorf("snapshots after SIGTERM: %d, want %d (the aborted run adds none)", len(after), len(before))
	}
	countSnapshots(t, cfgPath) // every snapshot listed is complete
	db, err := snapshot.Open(filepath.Join(dir, "db", "enspace-sync.db"), snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs("acme")
	if err != nil {
		t.Fatal(err)
	}
	if last := runs[len(runs)-1]; last.Outcome != snapshot.OutcomeAborted {
		t.Errorf("the last run is %s (%s), want aborted", last.Outcome, last.Error)
	}
	t.Logf("%d runs, %d snapshots kept; stopped %s after SIGTERM; whole test %s",
		len(runs), len(after), stopped.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// TestReadCommandsWithoutDaemon: a read command meets a lock held by a
// process that is not the daemon (nothing answers at listen): it gives up
// with exit status 4, naming the holder, instead of hanging.
func TestReadCommandsWithoutDaemon(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, "http://127.0.0.1:1", freeAddr(t))
	dbPath := filepath.Join(dir, "db", "enspace-sync.db")
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(dbPath, snapshot.Options{Command: "enspace-sync backup"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, stdout, stderr := newTestMain()
	err = m.Run(context.Background(), []string{"snapshots", "--config", cfgPath})
	m.Close()
	if got := exitCode(err); got != ExitLocked || !strings.Contains(fmt.Sprint(err), "(enspace-sync backup)") {
		t.Errorf("snapshots while locked: exit %d, err %v, want 4 naming the holder\n%s%s", got, err, stdout, stderr)
	}
	m, _, _ = newTestMain()
	err = m.Run(context.Background(), []string{"status", "--config", cfgPath})
	if got := exitCode(err); got != ExitError || !strings.Contains(fmt.Sprint(err), "the daemon is not running: nothing answers at 127.0.0.1:") {
		t.Errorf("status without a daemon: exit %d, err %v", got, err)
	}
}

func newTestMain() (*Main, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &stdout, &stderr
	m.Getenv = func(string) string { return "" }
	return m, &stdout, &stderr
}

func daemonConfig(dir, url, listen string) string {
	return fmt.Sprintf(`database: %s
listen: %s
log: {level: info}
environments:
  local:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
    concurrency: 1
workspaces:
  - name: acme
    environment: local
    schedule: "@every 2s"
    retention: {keep_last: 4, keep_daily: 0, keep_weekly: 0, keep_monthly: 0}
`, filepath.Join(dir, "db", "enspace-sync.db"), listen, url)
}

func writeDaemonConfig(t *testing.T, dir, url, listen string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(daemonConfig(dir, url, listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func snapshotList(t *testing.T, cfg string) []map[string]any {
	t.Helper()
	out, err := selfCommand("snapshots", "--config", cfg, "--json").Output()
	if err != nil {
		t.Fatalf("snapshots: %v", err)
	}
	var snaps []map[string]any
	if err := json.Unmarshal(out, &snaps); err != nil {
		t.Fatalf("snapshots --json: %v\n%s", err, out)
	}
	return snaps
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitUntil polls cond every 50ms until it holds or limit passes.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
