package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve starts s on a loopback listener.
func serve(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs
}

// fetch sends a request with the demo key and reads the whole body.
func fetch(hs *httptest.Server, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	r, err := http.NewRequest(method, hs.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	r.Header.Set("x-api-key", DemoAPIKey)
	r.Header.Set("en-workspace", "acme")
	res, err := hs.Client().Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func TestBrokenBodiesBreakTheClient(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    Faults
	}{
		{"reset", Faults{RateReset: 1}},
		{"truncate", Faults{RateTruncate: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Options{Faults: tt.f})
			hs := serve(t, s)
			for _, path := range []string{"/ws/types/contracts/items?limit=100", "/ws/types/count"} {
				_, body, err := fetch(hs, "GET", path, nil)
				if err == nil {
					t.Fatalf("GET %s: no error, body %.80s", path, body)
				}
				if tt.name == "truncate" && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("GET %s: %v, want unexpected EOF", path, err)
				}
				if json.Valid(body) {
					t.Errorf("GET %s: a broken body is valid JSON: %s", path, body)
				}
			}
			if got := s.Requests().Faults[tt.name]; got != 2 {
				t.Errorf("%s faults %d", tt.name, got)
			}
		})
	}
}

func TestLostWritesAreApplied(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{RateLostWrite: 1}})
	hs := serve(t, s)
	const n = 20
	answered, dropped := 0, 0
	for i := 0; i < n; i++ {
		status, body, err := fetch(hs, "POST", "/ws/types/clients/items", map[string]any{"data": map[string]any{"name": "Lost " + itoa(int64(i))}})
		switch {
		case err != nil:
			dropped++
		case status == 500:
			answered++
		default:
			t.Errorf("write %d: %d %s", i, status, body)
		}
	}
	if answered == 0 || dropped == 0 {
		t.Errorf("%d answered 500, %d dropped; want both", answered, dropped)
	}
	if got := len(s.Workspace("acme").ItemIDs("clients")); got != 60+n {
		t.Errorf("%d clients after %d lost writes, want %d", got, n, 60+n)
	}
	if got := s.Requests(); got.Faults[FaultLostWrite] != n || got.ByStatus[0] != int64(dropped) {
		t.Errorf("counts %+v", got)
	}
	// A write the handler refuses is not a lost write, and reads never are.
	if status, _, _ := fetch(hs, "POST", "/ws/types/clients/items", map[string]any{"data": map[string]any{}}); status != 400 {
		t.Errorf("invalid write: %d", status)
	}
	if status, _, err := fetch(hs, "GET", "/ws/types", nil); status != 200 || err != nil {
		t.Errorf("read: %d %v", status, err)
	}
}

func TestLostWriteRate(t *testing.T) {
	s := newServer(t, Options{Seed: 5, Faults: Faults{RateLostWrite: 0.2}})
	const n = 1000
	for i := 0; i < n; i++ {
		do(t, s, req{method: "PUT", path: "/ws/types/clients/items/1001", ws: "acme", body: map[string]any{"data": map[string]any{"city": "Recife"}}})
	}
	if got := s.Requests().Faults[FaultLostWrite]; !near(got, n, 0.2) {
		t.Errorf("lost writes %d of %d", got, n)
	}
}

// TestLostWriteStatus: a lost write answered with LostWriteStatus is
// applied and answered so, never dropped and without Retry-After; with
// LostWriteMethod only writes of that method are lost.
func TestLostWriteStatus(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{RateLostWrite: 1, LostWriteStatus: 503, LostWriteMethod: "POST"}})
	hs := serve(t, s)
	const n = 10
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("POST", hs.URL+"/ws/types/clients/items",
			strings.NewReader(`{"data": {"name": "Lost `+itoa(int64(i))+`"}}`))
		req.Header.Set("x-api-key", DemoAPIKey)
		req.Header.Set("en-workspace", "acme")
		req.Header.Set("Content-Type", "application/json")
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" {
			t.Errorf("write %d: %d, Retry-After %q; want 503 without it", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if got := len(s.Workspace("acme").ItemIDs("clients")); got != 60+n {
		t.Errorf("%d clients after %d lost writes, want %d", got, n, 60+n)
	}
	if status, body, err := fetch(hs, "PUT", "/ws/types/clients/items/1001", map[string]any{"data": map[string]any{"city": "Recife"}}); status != 200 || err != nil {
		t.Errorf("a PUT with lost POSTs: %d %s %v", status, body, err)
	}
}

// TestLostWriteMethodAnyCase: LostWriteMethod matches the request's
// method in any case ("post" loses POSTs, not nothing).
func TestLostWriteMethodAnyCase(t *testing.T) {
	for _, m := range []string{"POST", "post", "Post"} {
		f := Faults{RateLostWrite: 1, LostWriteStatus: 503, LostWriteMethod: m}
		if !f.decide(1, "POST", "/ws/types/clients/items", 1).lost {
			t.Errorf("LostWriteMethod %q: a POST is not lost", m)
		}
		if f.decide(1, "PUT", "/ws/types/clients/items/1", 1).lost {
			t.Errorf("LostWriteMethod %q: a PUT is lost", m)
		}
	}
}
