package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// startSecretsDaemon starts the daemon, in dir, over the demo fake with
// two environments: local, whose key file holds the demo key, and stage,
// whose key is given by stageKey (a YAML field, as `api_key_file:
// stage.key`); workspaces acme (local) and acme-stage (stage) are backed
// up every second, and pushed to the target nas (file://dir/nas) whose
// password_file is passwordFile (a YAML value). extra is appended to the
// config. It returns the daemon, its base URL and the config's path once
// the daemon listens.
func startSecretsDaemon(t *testing.T, dir, stageKey, passwordFile, extra string) (d *daemonProc, base, cfgPath string) {
	t.Helper()
	fake, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	listen := freeAddr(t)
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf(`database: %s
name: host-a
listen: %s
environments:
  local: {base_url: %q, api_key_file: key, requests_per_second: 0}
  stage: {base_url: %q, %s, requests_per_second: 0}
workspaces:
  - {name: acme, environment: local, schedule: "@every 1s"}
  - {name: acme-stage, environment: stage, schedule: "@every 1s"}
offsite:
  - {name: nas, url: "file://%s/nas", password_file: %s}
%s`, filepath.Join(dir, "db", "enspace-sync.db"), listen, srv.URL, srv.URL, stageKey, dir, passwordFile, extra)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d = startDaemonProc(t, cfgPath)
	base = "http://" + listen
	waitUntil(t, 10*time.Second, "the listener", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return d, base, cfgPath
}

// metricSays is a condition for waitUntil: the daemon's /metrics at base
// holds want.
func metricSays(t *testing.T, base, want string) func() bool {
	return func() bool {
		_, m := httpGet(t, base+"/metrics")
		return strings.Contains(m, want)
	}
}
