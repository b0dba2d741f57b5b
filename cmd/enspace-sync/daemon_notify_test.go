package main

import (
	"context"
	"encoding/json"
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

// TestDaemonNotifiesPartial runs the daemon in-process against a fake
// whose quick-tasks cannot be read: the catch-up backup is partial, and the
// webhook receives a JSON body with the Slack "text", the summary naming
// the kind and the hint.
func TestDaemonNotifiesPartial(t *testing.T) {
	fake, err := fakeapi.New(fakeapi.Options{Data: "demo", Faults: fakeapi.Faults{
		FailRoutes: map[string]int{"quick-tasks.list": 404, "quick-tasks.count": 404}}})
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
	cfgPath := writeDaemonConfig(t, dir, api.URL, "off")
	cfg, _ := os.ReadFile(cfgPath)
	text := strings.Replace(string(cfg), `"@every 2s"`, `"@daily"`, 1) +
		"notify:\n  webhook_url: " + hook.URL + "/services/T0/B0/SECRET\n"
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	m, _, stderr := newTestMain()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := m.Run(ctx, []string{"run", "--config", cfgPath})
		m.Close() // as main does before it exits: the lock info goes with it
		done <- err
	}()
	var body []byte
	select {
	case body = <-bodies:
	case err := <-done:
		t.Fatalf("run returned %v before the webhook was called\n%s", err, stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook call")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v, want nil (exit 0)", err)
	}

	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	text, _ = got["text"].(string)
	for _, want := range []string{"enspace-sync: acme: backup partial (snapshot ", "not read: quick-tasks: ", "previous complete snapshot"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if got["status"] != "partial" || got["workspace"] != "acme" || got["snapshot"] == "" || got["hint"] == "" {
		t.Errorf("webhook body = %s", body)
	}
	if logs := stderr.String(); strings.Contains(logs, "SECRET") {
		t.Errorf("the webhook URL's secret is logged:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(dir, "db", "enspace-sync.db.lock-info")); !os.IsNotExist(err) {
		t.Errorf("lock info left behind after the stop: %v", err)
	}
}
