package fakeapi

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogNeverHoldsTheKey(t *testing.T) {
	var buf syncBuffer
	planted := testKey("planted")
	s := newServer(t, Options{
		APIKeys: []Key{{Secret: planted, Scopes: []string{"read", "write", "delete"}}},
		Logger:  slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Faults:  Faults{Rate429: 0.2, RateTruncate: 0.2, RateLostWrite: 0.5},
	})
	for i := 0; i < 30; i++ {
		do(t, s, req{method: "GET", path: "/ws/types?page=" + itoa(int64(i)), ws: "acme", key: planted})
		do(t, s, req{method: "POST", path: "/ws/types/clients/items", ws: "acme", key: planted, body: map[string]any{"data": map[string]any{"name": "x"}}})
		do(t, s, req{method: "GET", path: "/ws/types", ws: "acme", key: planted[:len(planted)-1] + "1"})
	}
	out := buf.String()
	if !strings.Contains(out, "msg=request") || !strings.Contains(out, "fault=truncate") {
		t.Fatalf("no request lines logged:\n%.500s", out)
	}
	if strings.Contains(out, planted[3:]) || strings.Contains(out, planted[3:len(planted)-1]) {
		t.Fatal("the log holds the API key")
	}
}
