package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/demo"
)

// uiDemo runs the demo's tour into a temporary directory and returns its
// config's path.
func uiDemo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	if err := demo.Run(context.Background(), demo.Options{Stdout: io.Discard, Stderr: io.Discard, Keep: dir, Fast: true}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "config.yaml")
}

func uiMain() *Main {
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	return m
}

func TestUIGuard(t *testing.T) {
	var seen string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.URL.Path })
	h := uiGuard("s3cretS3cretS3cretS3cr", inner)
	for _, tc := range []struct {
		path   string
		status int
		inner  string
	}{
		{"/s3cretS3cretS3cretS3cr/", 200, "/"},
		{"/s3cretS3cretS3cretS3cr/workspaces/acme", 200, "/workspaces/acme"},
		{"/s3cretS3cretS3cretS3cr", 301, ""},
		{"/", 404, ""},
		{"/workspaces/acme", 404, ""},
		{"/s3cretS3cretS3cretS3c/", 404, ""},
		{"/s3cretS3cretS3cretS3crX/", 404, ""},
	} {
		seen = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.status || seen != tc.inner {
			t.Errorf("GET %s: %d reaching %q, want %d reaching %q", tc.path, rec.Code, seen, tc.status, tc.inner)
		}
		if rec.Code == 404 && strings.Contains(rec.Body.String(), "s3cret") {
			t.Errorf("GET %s: the 404 tells the secret: %s", tc.path, rec.Body.String())
		}
	}
	a, _ := uiSecret()
	b, _ := uiSecret()
	if len(a) != 22 || a == b {
		t.Errorf("secrets %q and %q: want two different 22-character secrets", a, b)
	}
}

func TestUIRefusesOtherThanLoopback(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	writeConfig(t, cfg, filepath.Join(filepath.Dir(cfg), "none.db"))
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:8080", ":8080", "nonsense"} {
		err := uiMain().Run(context.Background(), []string{"ui", "--config", cfg, "--no-open", "--listen", addr})
		if code := exitCode(err); code != ExitUsage {
			t.Errorf("ui --listen %s: exit %d (%v), want %d", addr, code, err, ExitUsage)
		}
	}
}

func TestUINoDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeConfig(t, cfg, filepath.Join(dir, "none.db"))
	err := uiMain().Run(context.Background(), []string{"ui", "--config", cfg, "--no-open"})
	if code := exitCode(err); code != ExitError || !strings.Contains(err.Error(), "run enspace-sync backup first") {
		t.Errorf("ui without a database: exit %d (%v), want %d saying to back up first", code, err, ExitError)
	}
}

// TestUIServesUntilStopped runs ui in-process over the demo's database:
// it prints a URL with a secret path, serves the overview there, and
// returns when its context ends.
func TestUIServesUntilStopped(t *testing.T) {
	cfg := uiDemo(t)
	pr, pw := io.Pipe()
	m := uiMain()
	m.Stdout = pw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"ui", "--config", cfg, "--no-open"}); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read ui's URL: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{22}/`).FindString(line)
	if url == "" {
		t.Fatalf("ui printed %q, want a URL with a secret path", line)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `data-name="acme"`) {
		t.Errorf("GET %s: %d\n%.300s", url, res.StatusCode, body)
	}
	if res, err := http.Get(strings.TrimSuffix(url, "/")[:strings.LastIndex(strings.TrimSuffix(url, "/"), "/")+1]); err == nil {
		if res.StatusCode != 404 {
			t.Errorf("the root without the secret answers %d, want 404", res.StatusCode)
		}
		res.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ui ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ui did not stop when its context ended")
	}
}

// writeConfig writes a config of one workspace whose database is at db.
func writeConfig(t *testing.T, path, db string) {
	t.Helper()
	text := "database: " + db + "\nenvironments:\n  production: {base_url: \"http://127.0.0.1:1\", api_key_file: key}\nworkspaces:\n  - {name: acme, environment: production}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
