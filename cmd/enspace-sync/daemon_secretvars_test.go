package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDaemonSecretVariables: the daemon starts with a config whose second
// environment's api_key is an unset ${VAR} and whose offsite target's
// password_file is a ${VAR} holding the password itself (a path was
// meant). It starts; the healthy workspace is backed up; the other
// workspace's runs and the pushes to the target fail, naming the field and
// the variable. The password shows nowhere: not in the log, not in
// /v1/status, not in the webhook's bodies.
func TestDaemonSecretVariables(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; not in -short")
	}
	const password = "nas-Secret-Value-42"
	t.Setenv("CFGVAR_NAS_PW", password)
	t.Setenv("CFGVAR_STAGE_KEY", "")
	os.Unsetenv("CFGVAR_STAGE_KEY") // restored by t.Setenv
	var mu sync.Mutex
	var hooks strings.Builder
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks.Write(append(b, '\n'))
		mu.Unlock()
	}))
	defer hook.Close()
	webhooks := func() string {
		mu.Lock()
		defer mu.Unlock()
		return hooks.String()
	}
	dir := t.TempDir()
	d, base, cfgPath := startSecretsDaemon(t, dir, `api_key: "${CFGVAR_STAGE_KEY}"`, `"${CFGVAR_NAS_PW}"`, "notify:\n  webhook_url: "+hook.URL+"/hook\n")
	metric := func(want string) func() bool { return metricSays(t, base, want) }
	waitUntil(t, 20*time.Second, "a backup of acme", func() bool { return countSnapshots(t, cfgPath) >= 1 })
	waitUntil(t, 10*time.Second, "a failed run of acme-stage", metric(`enspace_sync_runs_total{status="failed",workspace="acme-stage"}`))
	waitUntil(t, 10*time.Second, "a failed push to nas", metric(`enspace_sync_offsite_pushes_total{status="failed",target="nas"}`))
	waitUntil(t, 10*time.Second, "a webhook about the push", func() bool { return strings.Contains(webhooks(), "nas") })
	tokenFile := filepath.Join(dir, "db", "listen.token")
	code, status, err := daemonRequest(http.DefaultClient, "GET", base+"/v1/status", tokenFile, "")
	if err != nil || code != 200 {
		t.Fatalf("GET /v1/status: %d %v", code, err)
	}
	logs := d.logs.String()
	for _, want := range []string{
		"environments.stage.api_key: ${CFGVAR_STAGE_KEY} is not set",
		"offsite[0].password_file: cannot read the file named by ${CFGVAR_NAS_PW}: no such file or directory",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the daemon's log does not say %q", want)
		}
	}
	if !strings.Contains(status, "the file named by ${CFGVAR_NAS_PW}") {
		t.Errorf("/v1/status does not name the variable:\n%s", status)
	}
	if !strings.Contains(webhooks(), "the file named by ${CFGVAR_NAS_PW}") {
		t.Errorf("no webhook names the variable:\n%s", webhooks())
	}
	for what, text := range map[string]string{"the log": logs, "/v1/status": status, "the webhooks": webhooks()} {
		if strings.Contains(text, password) {
			t.Errorf("%s shows the password:\n%s", what, text)
		}
	}
}
