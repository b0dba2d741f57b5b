package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/restore"
)

// TestRestoreInterrupted: a restore stopped by SIGINT while it writes exits
// 130 and says what was interrupted, how far it got and what to do, not a
// bare "context canceled"; the steps cut off say so; running the same
// command again finishes the restore.
func TestRestoreInterrupted(t *testing.T) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var writes, armed atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && armed.Load() == 1 && writes.Add(1) == 20 {
			cancel() // Ctrl-C, while other writes are in flight
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	cfg := writeTestConfig(t, t.TempDir(), hs.URL, "")
	run := runMain
	if code, out, errs := run(context.Background(), "backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	req, _ := http.NewRequest(http.MethodDelete, hs.URL+"/ws/types/contracts", nil)
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("en-workspace", "acme")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("delete contracts: %v %v", resp, err)
	}

	restore := []string{"restore", "--config", cfg, "--snapshot", "latest", "type:contracts", "--yes"}
	armed.Store(1)
	code, out, errs := run(ctx, restore...)
	if code != ExitInterrupted {
		t.Fatalf("interrupted restore: exit %d, want %d\n%s%s", code, ExitInterrupted, out, errs)
	}
	if !strings.Contains(errs, "restore into acme interrupted after ") || !strings.Contains(errs, "run the same command again") {
		t.Errorf("interrupted restore: stderr does not say what was interrupted and what to do:\n%s", errs)
	}
	if strings.Contains(errs, "enspace-sync: context canceled") || strings.Contains(out, ": context canceled") {
		t.Errorf("interrupted restore: a bare \"context canceled\":\nstdout:\n%s\nstderr:\n%s", out, errs)
	}

	armed.Store(0)
	code, out, errs = run(context.Background(), restore...)
	if code != ExitOK || !strings.Contains(out, "Applied: ") || !strings.Contains(out, " 0 failed") {
		t.Errorf("restore run again: exit %d\n%s%s", code, out, errs)
	}
}

// TestInterruptedNamesTheCommand: a command stopped by SIGINT whose error
// does not say so itself (export --live, doctor, verify) names the command
// that was interrupted, never a bare "context canceled", and exits 130;
// verify stops rather than checking on to the end.
func TestInterruptedNamesTheCommand(t *testing.T) {
	dir, cfg := demoConfig(t)
	if code, _, stderr := runMain(context.Background(), "backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--config", cfg, "--live", "--output", dir + "/live.tar.gz"}, "enspace-sync: export interrupted"},
		{[]string{"doctor", "--config", cfg}, "enspace-sync: doctor interrupted"},
		{[]string{"verify", "--config", cfg, "--read-data"}, "enspace-sync: verify interrupted"}, // not "no damage found"
		{[]string{"verify", "--config", cfg, "--repair"}, "enspace-sync: verify interrupted"},    // nothing recorded
	} {
		code, _, stderr := runMain(ctx, tc.args...)
		if code != ExitInterrupted || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "context canceled") {
			t.Errorf("%s: exit %d, want %d and %q\n%s", tc.args[0], code, ExitInterrupted, tc.want, stderr)
		}
	}
}

// TestOffsitePushInterrupted: a push stopped by Ctrl-C says, on the
// target's line, that it was interrupted, not that it failed with
// "context canceled"; exit 130.
func TestOffsitePushInterrupted(t *testing.T) {
	dir, cfg := demoConfig(t)
	if err := os.WriteFile(filepath.Join(dir, "offsite.password"), []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, cfg, fmt.Sprintf("name: host-1\noffsite:\n  - name: nas\n    url: file://%s\n    password_file: offsite.password\n", filepath.Join(dir, "target")))
	if code, _, stderr := runMain(context.Background(), "backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := runMain(ctx, "offsite", "push", "--config", cfg)
	if code != ExitInterrupted || !strings.Contains(stdout, "nas: interrupted\n") ||
		strings.Contains(stdout, "context canceled") || strings.Contains(stderr, "context canceled") {
		t.Errorf("offsite push interrupted: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInterrupted, stdout, stderr)
	}
}

// TestApplyInterruptedKeepsOtherErrors: an apply error that lands while
// Ctrl-C is pressed but is not the interruption (the id map could not be
// written, steps failed) is reported as itself with its exit status, not
// as "interrupted ... it resumes" (130); the interruption itself is, and
// keeps the error it wraps.
func TestApplyInterruptedKeepsOtherErrors(t *testing.T) {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	dbErr := errors.New("apply into acme: id map: flush: disk I/O error")
	failed := fmt.Errorf("%w: 2 of 9", restore.ErrApplyFailed)
	cut := fmt.Errorf("apply: %w", context.Canceled)
	o := planPrinter{command: "restore"}
	for _, tt := range []struct {
		ctx  context.Context
		err  error
		want int
		msg  string
	}{
		{stopped, dbErr, ExitError, "disk I/O error"},
		{stopped, failed, ExitPartial, "some steps failed"},
		{stopped, cut, ExitInterrupted, "restore into acme interrupted after 3 writes done"},
		{context.Background(), dbErr, ExitError, "disk I/O error"},
	} {
		err := o.interrupted(tt.ctx, tt.err, "acme", 3)
		if tt.want != ExitInterrupted && err != tt.err {
			t.Errorf("%v: rewritten as %v", tt.err, err)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%v: %v does not wrap it", tt.err, err)
		}
		m := NewMain()
		var errb bytes.Buffer
		m.Stderr = &errb
		if code := m.ReportError(err); code != tt.want || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tt.err, code, errb.String(), tt.want, tt.msg)
		}
	}
}
