package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// throttlingServer answers every request 429 with Retry-After: 120 and
// counts them.
func throttlingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "120")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"statusCode":429,"error":"Too Many Requests","message":"slow down"}`)
	}))
	t.Cleanup(hs.Close)
	return hs, &hits
}

// pauseConfig writes a config of one environment per entry of envs (name
// to the YAML of its settings, with the key files key-NAME written), with
// one workspace per environment named ws-NAME, and returns a function
// that loads it.
func pauseConfig(t *testing.T, dir string, envs map[string]string) func() *config.Config {
	t.Helper()
	text := fmt.Sprintf("database: %s\nenvironments:\n", filepath.Join(dir, "db"))
	workspaces := "workspaces:\n"
	for name, settings := range envs {
		key := fmt.Sprintf("en.%s%s\n", name, "000000000000000000000000000000")
		if err := os.WriteFile(filepath.Join(dir, "key-"+name), []byte(key), 0o600); err != nil {
			t.Fatal(err)
		}
		text += fmt.Sprintf("  %s:\n    api_key_file: key-%s\n%s", name, name, settings)
		workspaces += fmt.Sprintf("  - name: ws-%s\n    slug: acme\n    environment: %s\n", name, name)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text+workspaces), 0o600); err != nil {
		t.Fatal(err)
	}
	return func() *config.Config {
		cfg, err := config.Load(path, config.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
}

// countThrough asks workspace ws's count of types through the Service's
// client of its environment, giving up after 300ms (a paused client waits
// rather than send), and returns the client.
func countThrough(t *testing.T, s *Service, ws string) *api.Client {
	t.Helper()
	w, err := s.Workspace(ws, "count")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Client(w)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := kind.ByName("types")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, _ = c.Count(ctx, k, w.Slug, nil)
	return c
}

// TestReloadKeepsRetryAfterPause: a server's Retry-After pauses the
// environment; a reload, of the same config or of one that changes the
// environment's limits, leaves the pause in force, so the next run sends
// nothing inside the server's Retry-After.
func TestReloadKeepsRetryAfterPause(t *testing.T) {
	for _, tt := range []struct{ name, after string }{
		{"same config", "    concurrency: 2\n"},
		{"concurrency changed", "    concurrency: 3\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs, hits := throttlingServer(t)
			dir := t.TempDir()
			env := "    base_url: " + hs.URL + "\n"
			load := pauseConfig(t, dir, map[string]string{"local": env + "    concurrency: 2\n"})
			s, err := New(Options{Config: load()})
			if err != nil {
				t.Fatal(err)
			}
			c1 := countThrough(t, s, "ws-local")
			if !c1.PausedUntil().After(time.Now().Add(time.Minute)) || hits.Load() != 1 {
				t.Fatalf("setup: paused until %v, %d hits", c1.PausedUntil(), hits.Load())
			}
			load = pauseConfig(t, dir, map[string]string{"local": env + tt.after})
			if _, err := s.Reload(load()); err != nil {
				t.Fatal(err)
			}
			c2 := countThrough(t, s, "ws-local")
			if hits.Load() > 1 {
				t.Errorf("after a reload the client sent %d more request(s) inside the server's Retry-After of 120s (old client paused until %v, new one until %v)",
					hits.Load()-1, c1.PausedUntil().Format(time.RFC3339), c2.PausedUntil().Format(time.RFC3339))
			}
		})
	}
}

// TestRetryAfterHoldsEveryEnvironmentOfTheServer: two environments on one
// base URL with different keys (a read key for backups, a write key for
// restores). A Retry-After received with one key holds the requests of
// the other to the same server.
func TestRetryAfterHoldsEveryEnvironmentOfTheServer(t *testing.T) {
	hs, hits := throttlingServer(t)
	env := "    base_url: " + hs.URL + "\n"
	load := pauseConfig(t, t.TempDir(), map[string]string{"read": env, "write": env + "    concurrency: 1\n"})
	s, err := New(Options{Config: load()})
	if err != nil {
		t.Fatal(err)
	}
	read := countThrough(t, s, "ws-read")
	if !read.PausedUntil().After(time.Now().Add(time.Minute)) || hits.Load() != 1 {
		t.Fatalf("setup: paused until %v, %d hits", read.PausedUntil(), hits.Load())
	}
	write := countThrough(t, s, "ws-write")
	if write == read {
		t.Fatal("the two environments share one client")
	}
	if hits.Load() > 1 || !write.PausedUntil().Equal(read.PausedUntil()) {
		t.Errorf("the write key's client sent %d request(s) inside the Retry-After the server sent to the read key (paused until %v, the read key's until %v)",
			hits.Load()-1, write.PausedUntil().Format(time.RFC3339), read.PausedUntil().Format(time.RFC3339))
	}
}

// TestRunAcrossReloadKeepsConcurrencyCap: a run holds both slots of an
// environment with concurrency 2 when a reload of the same config comes;
// a run started after the reload waits for those slots instead of
// sending two more requests.
func TestRunAcrossReloadKeepsConcurrencyCap(t *testing.T) {
	var inflight, most atomic.Int32
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"count": 1}`)
	}))
	defer hs.Close()
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()

	load := pauseConfig(t, t.TempDir(), map[string]string{"local": "    base_url: " + hs.URL + "\n    concurrency: 2\n    requests_per_second: 0\n"})
	s, err := New(Options{Config: load()})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := kind.ByName("types")
	var wg sync.WaitGroup
	run := func(n int) {
		ws, err := s.Workspace("ws-local", "count")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Client(ws)
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			wg.Go(func() {
				if _, _, err := c.Count(context.Background(), k, ws.Slug, nil); err != nil {
					t.Error(err)
				}
			})
		}
	}
	run(2)
	for deadline := time.Now().Add(5 * time.Second); inflight.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("setup: %d requests in flight, want 2", inflight.Load())
		}
	}
	if _, err := s.Reload(load()); err != nil {
		t.Fatal(err)
	}
	run(2)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline) && inflight.Load() <= 2; {
		time.Sleep(time.Millisecond)
	}
	open()
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("%d requests in flight at once against an environment with concurrency 2, across a reload", m)
	}
}
