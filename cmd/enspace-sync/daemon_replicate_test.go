package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestDaemonScheduledReplication runs the daemon in-process with a
// replication from acme-stage to acme: under a tight max_change it is held
// (nothing applied, the webhook says why); under the default it is applied,
// logged, and shown by the status API.
func TestDaemonScheduledReplication(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxChange string
		want      string
	}{
		{"held", "0.001", "held"},
		{"applied", "0.25", "complete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, err := fakeapi.New(fakeapi.Options{Data: "demo"})
			if err != nil {
				t.Fatal(err)
			}
			api := httptest.NewServer(fake)
			defer api.Close()
			bodies := make(chan []byte, 10)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodies <- b
			}))
			defer hook.Close()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			listen := freeAddr(t)
			cfgPath := filepath.Join(dir, "config.yaml")
			cfg := fmt.Sprintf(`database: %s
listen: %s
log: {level: info}
environments:
  production: {base_url: %s, api_key_file: key, requests_per_second: 0}
  stage: {base_url: %s, api_key_file: key, requests_per_second: 0}
workspaces:
  - {name: acme, environment: production, schedule: "@daily"}
  - {name: acme-stage, environment: stage, schedule: "@daily"}
replications:
  - {from: acme-stage, to: acme, schedule: "@daily", max_change: %s}
notify:
  webhook_url: %s/hook
`, filepath.Join(dir, "db", "enspace-sync.db"), listen, api.URL, api.URL, tc.maxChange, hook.URL)
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			m, _, stderr := newTestMain()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				err := m.Run(ctx, []string{"run", "--config", cfgPath})
				m.Close()
				done <- err
			}()
			stopped := false
			stop := func() {
				if !stopped {
					stopped = true
					cancel()
					if err := <-done; err != nil {
						t.Errorf("run: %v", err)
					}
				}
			}
			defer stop()
			// A replication does not catch up at start: trigger it.
			tokenFile := filepath.Join(dir, "db", "listen.token")
			var last map[string]any
			triggered := false
			deadline := time.Now().Add(20 * time.Second)
			for last == nil || last["status"] == nil {
				if time.Now().After(deadline) {
					stop()
					t.Fatalf("the replication did not run\n%s", stderr)
				}
				time.Sleep(50 * time.Millisecond)
				if !triggered {
					code, _, err := daemonRequest(http.DefaultClient, "POST", "http://"+listen+"/v1/trigger/acme-stage-to-acme", tokenFile, "")
					if err != nil {
						continue // the listener is not up yet
					}
					triggered = code == http.StatusAccepted
					continue
				}
				code, body, err := daemonRequest(http.DefaultClient, "GET", "http://"+listen+"/v1/status", tokenFile, "")
				if err != nil || code != 200 {
					continue // the listener is not up yet
				}
				var st struct {
					Workspaces []map[string]any `json:"workspaces"`
				}
				if json.Unmarshal([]byte(body), &st) != nil {
					continue
				}
				for _, w := range st.Workspaces {
					if w["name"] == "acme-stage-to-acme" && w["kind"] == "replication" {
						last, _ = w["last_run"].(map[string]any)
					}
				}
			}
			sm, sout, _ := newTestMain()
			if err := sm.Run(context.Background(), []string{"status", "--config", cfgPath}); err != nil {
				t.Errorf("status: %v", err)
			}
			if out := sout.String(); !strings.Contains(out, "acme-stage-to-acme (replication)") ||
				!strings.Contains(out, "last run   "+tc.want) {
				t.Errorf("status does not show the replication's last run %s:\n%s", tc.want, out)
			}
			stop() // the logs are read once the daemon has stopped writing them
			if last["status"] != tc.want {
				t.Fatalf("replication ended %v (%v), want %s\n%s", last["status"], last["error"], tc.want, stderr)
			}
			req, _ := http.NewRequest("GET", api.URL+"/ws/types/suppliers", nil)
			req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
			req.Header.Set("en-workspace", "acme")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			applied := resp.StatusCode == 200
			if applied != (tc.want == "complete") {
				t.Errorf("type suppliers in acme: %v after a %s replication", applied, tc.want)
			}
			logs := stderr.String()
			if !strings.Contains(logs, `msg="replication finished" replication=acme-stage-to-acme status=`+tc.want) ||
				!strings.Contains(logs, "summary=\"plan acme-stage to acme: 5 to create, 1 to update, 0 to delete, 1 manual") {
				t.Errorf("the run's plan summary is not logged:\n%s", logs)
			}
			if tc.want != "held" {
				return
			}
			select {
			case body := <-bodies:
				var got map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				text, _ := got["text"].(string)
				if got["kind"] != "replication" || got["status"] != "held" ||
					!strings.Contains(text, "enspace-sync: acme-stage-to-acme: replication held") ||
					!strings.Contains(text, "more than max_change (0.1%): nothing was applied") ||
					!strings.Contains(text, "enspace-sync replicate --from acme-stage --to acme --dry-run") {
					t.Errorf("webhook body:\n%s", body)
				}
			case <-time.After(10 * time.Second):
				t.Error("no webhook for the held replication")
			}
		})
	}
}
