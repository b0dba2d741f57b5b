package app

import (
	"context"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestServerOfSameHost: base URLs that name one server give one key.
func TestServerOfSameHost(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"https://api.example.com", "https://API.Example.com:443/v1/"},
		{"https://user:pw@api.example.com", "https://api.example.com"},
		{"http://[::1]:8080", "http://[::1]:8080/x"},
		{"https://[2001:DB8::1]", "https://[2001:db8::1]:443"},
		{"https://api.example.com.", "https://api.example.com"},
		{"https://api.example.com.:443/", "https://api.example.com/"},
	} {
		if a, b := serverOf(tt.a), serverOf(tt.b); a != b {
			t.Errorf("serverOf(%q) = %q, serverOf(%q) = %q: one server, two pauses", tt.a, a, tt.b, b)
		}
	}
}

// TestPauseOfADroppedClientHoldsItsSuccessor: a run holds the client
// of environment local; a reload drops local (an edit in progress), and
// the run gets 429 Retry-After: 120 from the server; a reload puts local
// back. The new client must honour the 120s the server sent.
func TestPauseOfADroppedClientHoldsItsSuccessor(t *testing.T) {
	hs, hits := throttlingServer(t)
	other, _ := throttlingServer(t)
	dir := t.TempDir()
	with := pauseConfig(t, dir, map[string]string{"local": "    base_url: " + hs.URL + "\n"})
	cfgWith := with()
	s, err := New(Options{Config: cfgWith})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Workspace("ws-local", "count")
	if err != nil {
		t.Fatal(err)
	}
	running, err := s.Client(w) // the run in progress holds this client
	if err != nil {
		t.Fatal(err)
	}
	without := pauseConfig(t, t.TempDir(), map[string]string{"other": "    base_url: " + other.URL + "\n"})
	if _, err := s.Reload(without()); err != nil {
		t.Fatal(err)
	}
	k, _ := kind.ByName("types")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	running.Count(ctx, k, w.Slug, nil)
	cancel()
	if hits.Load() != 1 || !running.PausedUntil().After(time.Now().Add(time.Minute)) {
		t.Fatalf("setup: %d hits, paused until %v", hits.Load(), running.PausedUntil())
	}
	if _, err := s.Reload(with()); err != nil {
		t.Fatal(err)
	}
	c2 := countThrough(t, s, "ws-local")
	if hits.Load() > 1 {
		t.Errorf("the environment's new client sent %d request(s) inside the 120s Retry-After the server sent to the run's client (new client paused until %v, old until %v)",
			hits.Load()-1, c2.PausedUntil(), running.PausedUntil())
	}
}
