package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestRestoreAsksOnATerminal answers the question restore asks on a
// terminal: "n" writes nothing and exits 1; "y" applies.
func TestRestoreAsksOnATerminal(t *testing.T) {
	srv, cfg := contractsDeleted(t)
	run := func(stdin string, args ...string) (int, string, string) {
		return runTerminal(t, stdin, nil, args...)
	}
	writes := srv.Requests().Writes()
	restore := []string{"restore", "--config", cfg, "--snapshot", "latest~1", "type:contracts"}

	code, out, errs := run("n\n", restore...)
	if code != ExitError || !strings.Contains(errs, "Apply 219 writes to acme? [y/N] ") ||
		!strings.Contains(errs, "not confirmed: nothing was written to acme") {
		t.Errorf("answer n: exit %d\nstderr:\n%s", code, errs)
	}
	if !strings.Contains(out, "Plan: restore acme") {
		t.Errorf("answer n: no plan shown before the question:\n%s", out)
	}
	if got := srv.Requests().Writes() - writes; got != 0 {
		t.Errorf("answer n: %d writes, want 0", got)
	}

	code, out, errs = run("y\n", restore...)
	if code != ExitOK || !strings.Contains(out, "Applied: 219 done, 0 failed") {
		t.Errorf("answer y: exit %d\n%s%s", code, out, errs)
	}
	if got := srv.Requests().Writes() - writes; got == 0 {
		t.Error("answer y: nothing written")
	}
}

// TestDBBackupRefusesATerminal: the copy is binary, so --output - is
// refused (exit 2) when standard output is a terminal.
func TestDBBackupRefusesATerminal(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, "http://127.0.0.1:1", "")
	m, stdout, stderr := newTestMain()
	m.IsTerminal = func(uintptr) bool { return true }
	code := m.ReportError(m.Run(context.Background(), []string{"db", "backup", "--config", cfg, "--output", "-"}))
	m.Close()
	if code != ExitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "standard output is a terminal") {
		t.Errorf("exit %d\nstdout: %q\nstderr: %s", code, stdout.String(), stderr.String())
	}
}

// TestExportToATerminalIsRefused: export --output - writes a .tar.gz, so
// it is refused (exit 2) when standard output is a terminal.
func TestExportToATerminalIsRefused(t *testing.T) {
	cfg := writeTestConfig(t, t.TempDir(), "http://127.0.0.1:1", "")
	m, stdout, stderr := newTestMain()
	m.IsTerminal = func(uintptr) bool { return true }
	code := m.ReportError(m.Run(context.Background(), []string{"export", "--config", cfg, "--live", "--output", "-"}))
	m.Close()
	if code != ExitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "standard output is a terminal") {
		t.Errorf("exit %d\nstdout: %q\nstderr: %s", code, stdout.String(), stderr.String())
	}
}

// contractsDeleted backs up the demo, deletes type contracts and backs up
// again: the fake and the config.
func contractsDeleted(t *testing.T) (*fakeapi.Server, string) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := writeTestConfig(t, t.TempDir(), hs.URL, "")
	if code, out, errs := runTerminal(t, "", nil, "backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	req, _ := http.NewRequest(http.MethodDelete, hs.URL+"/ws/types/contracts", nil)
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("en-workspace", "acme")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("delete contracts: %v %v", resp, err)
	}
	if code, out, errs := runTerminal(t, "", nil, "backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	return srv, cfg
}

// runTerminal runs the command in-process as if stdin, stdout and stderr
// were a terminal, with stdin's text and env as the environment: its exit
// code, stdout and stderr.
func runTerminal(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	m, stdout, stderr := newTestMain()
	m.Stdin = strings.NewReader(stdin)
	m.IsTerminal = func(uintptr) bool { return true }
	m.Getenv = func(k string) string { return env[k] }
	code := m.ReportError(m.Run(context.Background(), args))
	m.Close()
	return code, stdout.String(), stderr.String()
}

// TestColourOnATerminal: plan signs, ANOMALY and errors are coloured on a
// terminal, and not with NO_COLOR set.
func TestColourOnATerminal(t *testing.T) {
	_, cfg := contractsDeleted(t)
	dry := []string{"restore", "--config", cfg, "--snapshot", "latest~1", "type:contracts", "--dry-run"}
	_, out, _ := runTerminal(t, "", nil, dry...)
	if !strings.Contains(out, "\033[32m  + type contracts") || !strings.Contains(out, "\033[35m  ! flow contracts/4") {
		t.Errorf("plan signs not coloured:\n%q", out)
	}
	_, out, _ = runTerminal(t, "", map[string]string{"NO_COLOR": "1"}, dry...)
	if strings.Contains(out, "\033[") {
		t.Errorf("colour with NO_COLOR set:\n%q", out)
	}
	_, _, errs := runTerminal(t, "", nil, "restore", "--config", cfg, "bogus:x")
	if !strings.HasPrefix(errs, "\033[31menspace-sync:\033[0m bad selector") {
		t.Errorf("error not coloured: %q", errs)
	}
	if got := paintLine("  ANOMALY: type contracts disappeared"); got != "\033[31m  ANOMALY: type contracts disappeared\033[0m" {
		t.Errorf("ANOMALY line: %q", got)
	}
}

// TestDevNullIsNoTerminal: /dev/null, the stdin of a cron job, a service
// or "ssh -n", is a character device but no terminal. Restore run with it
// refuses (exit 2) instead of asking a question nobody can answer, and db
// backup --output - > /dev/null writes the copy instead of refusing.
func TestDevNullIsNoTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	if isTerminal(null.Fd()) {
		t.Fatalf("isTerminal(%s) = true", os.DevNull)
	}

	_, cfg := contractsDeleted(t)
	m, stdout, stderr := newTestMain()
	m.Stdin = null
	code := m.ReportError(m.Run(context.Background(), []string{"restore", "--config", cfg, "--snapshot", "latest~1", "type:contracts"}))
	m.Close()
	if code != ExitUsage || !strings.Contains(stderr.String(), "refusing without a terminal to confirm") || strings.Contains(stderr.String(), "[y/N]") {
		t.Errorf("restore with stdin %s: exit %d\nstdout:\n%s\nstderr:\n%s", os.DevNull, code, stdout, stderr)
	}

	m, _, stderr = newTestMain()
	m.Stdout = null
	code = m.ReportError(m.Run(context.Background(), []string{"db", "backup", "--config", cfg, "--output", "-"}))
	m.Close()
	if code != ExitOK {
		t.Errorf("db backup --output - > %s: exit %d\n%s", os.DevNull, code, stderr)
	}
}
