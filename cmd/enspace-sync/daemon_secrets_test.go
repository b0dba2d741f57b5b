package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestDaemonMissingSecrets: the daemon starts with a config whose second
// environment's key file and whose offsite target's password file are
// missing. The healthy workspace is backed up on schedule; the other
// workspace's runs fail, and so do the target's pushes (in the metrics, as
// any failed push), naming the files and never a secret. Once the password
// file is written and the daemon reloaded, the target is pushed to.
func TestDaemonMissingSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; not in -short")
	}
	dir := t.TempDir()
	d, base, cfgPath := startSecretsDaemon(t, dir, "api_key_file: stage.key", "nas.pw", "")
	cmd, logs, exited := d.cmd, d.logs, d.exited
	metric := func(want string) func() bool { return metricSays(t, base, want) }
	waitUntil(t, 20*time.Second, "two backups of acme", func() bool { return countSnapshots(t, cfgPath) >= 2 })
	waitUntil(t, 10*time.Second, "a failed run of acme-stage", metric(`enspace_sync_runs_total{status="failed",workspace="acme-stage"}`))
	waitUntil(t, 10*time.Second, "a failed push to nas", metric(`enspace_sync_offsite_pushes_total{status="failed",target="nas"}`))
	for _, want := range []string{"environments.stage.api_key_file: cannot read " + filepath.Join(dir, "stage.key"),
		"offsite[0].password_file: cannot read " + filepath.Join(dir, "nas.pw")} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the daemon's log does not say %q", want)
		}
	}

	// A triggered run that fails on the key file exits 2, as backup does.
	var out string
	var err error
	waitUntil(t, 20*time.Second, "a triggered run of acme-stage", func() bool {
		out, err = runSelf(t, "trigger", "--config", cfgPath, "--wait", "--json", "acme-stage")
		return !strings.Contains(out, "already in progress")
	})
	if processExit(err) != ExitUsage || !strings.Contains(out, `"config_error": true`) {
		t.Errorf("trigger --wait of the workspace whose key file is missing: exit %d, want 2 and config_error\n%s", processExit(err), out)
	}
	// /v1/status's last_run says so too, whichever run of acme-stage it
	// shows (one a second: several of them).
	stageRun := regexp.MustCompile(`"name": "acme-stage",[^}]*"last_run": \{[^}]*\}`)
	for i := 0; i < 12; i++ {
		st, _ := runSelf(t, "status", "--config", cfgPath, "--json")
		if r := stageRun.FindString(st); !strings.Contains(r, `"config_error": true`) {
			t.Errorf("status --json: acme-stage's last run has no config_error:\n%s", r)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	// So does a push to the target whose password file is missing.
	waitUntil(t, 20*time.Second, "a triggered push to nas", func() bool {
		out, err = runSelf(t, "trigger", "--config", cfgPath, "--wait", "--json", "offsite:nas")
		return !strings.Contains(out, "already in progress")
	})
	if processExit(err) != ExitUsage || !strings.Contains(out, `"config_error": true`) {
		t.Errorf("trigger --wait of the target whose password file is missing: exit %d, want 2 and config_error\n%s", processExit(err), out)
	}

	// Fixed and reloaded: the next push goes through.
	if err := os.WriteFile(filepath.Join(dir, "nas.pw"), []byte("nas-Password-5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "a push to nas after the reload", metric(`enspace_sync_offsite_pushes_total{status="complete",target="nas"}`))
	if strings.Contains(logs.String(), "nas-Password-5") || strings.Contains(logs.String(), fakeapi.DemoAPIKey) {
		t.Errorf("the daemon's log shows a secret")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the daemon exited with %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not stop")
	}
}
