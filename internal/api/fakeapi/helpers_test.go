package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// testNow is the fixed clock of tests.
var testNow = time.Date(2026, 3, 11, 20, 2, 10, 58e6, time.UTC)

// newServer builds a server with a fixed clock, failing the test on error.
func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// req is one request to send to a server under test.
type req struct {
	method, path string
	ws           string // en-workspace; "" sends none
	key          string // x-api-key; "" means DemoAPIKey, "-" sends none
	body         any    // encoded as JSON unless a string
}

// answer is a recorded answer.
type answer struct {
	status int
	body   []byte
	header http.Header
}

// do sends r through ServeHTTP and records the answer.
func do(t testing.TB, s *Server, r req) answer {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	switch r.key {
	case "":
		hr.Header.Set("x-api-key", DemoAPIKey)
	case "-":
	default:
		hr.Header.Set("x-api-key", r.key)
	}
	if r.ws != "" {
		hr.Header.Set("en-workspace", r.ws)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, hr)
	return answer{status: rec.Code, body: rec.Body.Bytes(), header: rec.Header()}
}

// get sends a GET in a workspace and wants 200.
func get(t testing.TB, s *Server, ws, path string) []byte {
	t.Helper()
	a := do(t, s, req{method: "GET", path: path, ws: ws})
	if a.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, a.status, a.body)
	}
	return a.body
}

// send sends a write in a workspace, wants 200 and decodes the answer.
func send(t testing.TB, s *Server, method, ws, path string, body any) map[string]any {
	t.Helper()
	a := do(t, s, req{method: method, path: path, ws: ws, body: body})
	if a.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, body %s", method, path, a.status, a.body)
	}
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("%s %s: %v in %s", method, path, err, a.body)
	}
	return m
}

// list decodes a bare array answer of a GET.
func list(t testing.TB, s *Server, ws, path string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(get(t, s, ws, path), &rows); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return rows
}

// num reads a JSON number as int64.
func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// countOf reads {"count": N}.
func countOf(t testing.TB, s *Server, ws, path string) int64 {
	t.Helper()
	var c struct{ Count int64 }
	if err := json.Unmarshal(get(t, s, ws, path), &c); err != nil {
		t.Fatal(err)
	}
	return c.Count
}

// mustJSON decodes JSON or fails the test.
func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
