package fakeapi

import (
	"net/http"
	"testing"
	"time"
)

// TestTimeline: the server records each request's start and each
// Retry-After window it sent; a request that starts inside a window sent
// to its key is a violation, one in flight before it or with another key
// is not.
func TestTimeline(t *testing.T) {
	clock := &stepClock{}
	other := testKey("other")
	all := []string{"read", "write", "delete"}
	s := newServer(t, Options{Now: clock.now, RecordTimeline: true,
		APIKeys: []Key{{Secret: DemoAPIKey, Scopes: all}, {Secret: other, Scopes: all}}})
	send := func(at int64, key string) int {
		t.Helper()
		clock.ms.Store(at)
		return do(t, s, req{method: "GET", path: "/ws/types", ws: "acme", key: key}).status
	}
	send(0, "")
	s.SetFaults(Faults{Rate429: 1, RetryAfterShare: 1, RetryAfter: 2 * time.Second})
	if got := send(100, ""); got != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", got)
	}
	s.SetFaults(Faults{})
	send(100, "")    // at the moment the answer was written: in flight
	send(500, other) // another key
	send(1500, "")   // inside the window: a violation
	send(2100, "")   // after it
	tl := s.Timeline()
	if len(tl.Starts) != 6 || len(tl.Windows) != 1 {
		t.Fatalf("%d starts and %d windows, want 6 and 1", len(tl.Starts), len(tl.Windows))
	}
	w := tl.Windows[0]
	if got := w.Until.Sub(w.Sent); w.Status != 429 || got != 2*time.Second {
		t.Errorf("window %+v (%s long), want a 429 for 2s", w, got)
	}
	v := tl.Violations()
	if len(v) != 1 || v[0].Start.At.Sub(testNow) != 1500*time.Millisecond {
		t.Errorf("violations %+v, want the request at 1.5s", v)
	}
	if most, from := tl.MaxInWindow(time.Second); most != 4 || !from.Equal(testNow) {
		t.Errorf("at most %d in a second from %s, want 4 from the start", most, from)
	}
	if most, _ := tl.MaxInWindow(100 * time.Millisecond); most != 2 {
		t.Errorf("at most %d in 100ms, want 2 (at 100ms)", most)
	}
	if got := (&Server{}).Timeline(); len(got.Starts) != 0 {
		t.Errorf("a server without RecordTimeline recorded %d starts", len(got.Starts))
	}
}
