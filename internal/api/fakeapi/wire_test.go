package fakeapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWireExtraFields: every top-level object, alone or in a list page,
// carries a revision that changes when the object does, and a write that
// sends it back is refused with NestJS's forbidNonWhitelisted message.
func TestWireExtraFields(t *testing.T) {
	s := newServer(t, Options{Data: "demo", ExtraFields: true})
	rows := list(t, s, "acme", "/ws/types")
	for _, r := range rows {
		if r["revision"] == nil {
			t.Fatalf("a listed type without a revision: %v", r)
		}
	}
	before := send(t, s, "GET", "acme", "/ws/types/contracts", nil)["revision"]
	after := send(t, s, "PUT", "acme", "/ws/types/contracts", map[string]any{"description": "changed"})["revision"]
	if before == nil || before == after {
		t.Fatalf("revision %v before an update, %v after", before, after)
	}
	a := do(t, s, req{method: "PUT", path: "/ws/types/contracts", ws: "acme", body: map[string]any{"revision": before}})
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), `["property revision should not exist"]`) {
		t.Fatalf("a write with the revision: %d %s", a.status, a.body)
	}
}

// TestWireOmitNulls: null members are left out at any depth, and numbers
// keep their spelling through the re-encoding.
func TestWireOmitNulls(t *testing.T) {
	s := newServer(t, Options{Data: "demo", OmitNulls: true})
	send(t, s, "PUT", "acme", "/ws/types/contracts/items/1061", `{"data":{"value":1.10,"signed":null}}`)
	body := get(t, s, "acme", "/ws/types/contracts/items/1061")
	if bytes.Contains(body, []byte("null")) || !bytes.Contains(body, []byte(`"value":1.10`)) {
		t.Fatalf("item answered %s", body)
	}
}

// TestWireDeleteNoContent: a delete answers 204 with no body.
func TestWireDeleteNoContent(t *testing.T) {
	s := newServer(t, Options{Data: "demo", DeleteNoContent: true})
	hs := httptest.NewServer(s)
	defer hs.Close()
	r, _ := http.NewRequest("DELETE", hs.URL+"/ws/types/contracts", nil)
	r.Header.Set("x-api-key", DemoAPIKey)
	r.Header.Set("en-workspace", "acme")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("delete answered %d %q", res.StatusCode, b)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/contracts", ws: "acme"}); a.status != http.StatusNotFound {
		t.Fatalf("the type after its delete: %d", a.status)
	}
}

// TestWireGzip: an answer is gzipped when the request accepts it, and
// only then.
func TestWireGzip(t *testing.T) {
	s := newServer(t, Options{Data: "demo", Gzip: true})
	plain := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme"})
	if plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("gzipped without Accept-Encoding")
	}
	hr := httptest.NewRequest("GET", "/ws/types", nil)
	hr.Header.Set("x-api-key", DemoAPIKey)
	hr.Header.Set("en-workspace", "acme")
	hr.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, hr)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, plain.body) {
		t.Fatalf("gunzipped %q (%v), want %q", got, err, plain.body)
	}
}

// TestWireWritableExtra: types carry a writable "notes" the contract does
// not name, seeded on the demo types, set by a create or update that
// sends it and kept by one that leaves it out; without the option a type
// has none.
func TestWireWritableExtra(t *testing.T) {
	s := newServer(t, Options{Data: "demo", WritableExtra: true})
	if n := send(t, s, "GET", "acme", "/ws/types/contracts", nil)["notes"]; n != "Contracts kept by the back office" {
		t.Fatalf("seeded notes %v", n)
	}
	if n := send(t, s, "PUT", "acme", "/ws/types/contracts", map[string]any{"notes": "changed"})["notes"]; n != "changed" {
		t.Fatalf("notes after an update that sets them: %v", n)
	}
	if n := send(t, s, "PUT", "acme", "/ws/types/contracts", map[string]any{"description": "d"})["notes"]; n != "changed" {
		t.Fatalf("notes after an update without them: %v", n)
	}
	if n := send(t, s, "POST", "acme", "/ws/types", map[string]any{"name": "Boats", "notes": "new"})["notes"]; n != "new" {
		t.Fatalf("notes of a created type: %v", n)
	}
	plain := newServer(t, Options{Data: "demo"})
	if _, has := send(t, plain, "GET", "acme", "/ws/types/contracts", nil)["notes"]; has {
		t.Fatal("notes without the option")
	}
}

// TestWireGzipRefused: a request that refuses gzip (q=0) or asks for
// another coding gets the answer as it is.
func TestWireGzipRefused(t *testing.T) {
	s := newServer(t, Options{Data: "demo", Gzip: true})
	for _, ae := range []string{"gzip;q=0", "identity", "br", "gzip; q=0.0, identity"} {
		hr := httptest.NewRequest("GET", "/ws/types", nil)
		hr.Header.Set("x-api-key", DemoAPIKey)
		hr.Header.Set("en-workspace", "acme")
		hr.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, hr)
		if ce := rec.Header().Get("Content-Encoding"); ce != "" {
			t.Errorf("Accept-Encoding %q: answered Content-Encoding %q", ae, ce)
		}
	}
	for _, ae := range []string{"gzip", "deflate, gzip;q=1.0", "*", "gzip;q=0.5"} {
		hr := httptest.NewRequest("GET", "/ws/types", nil)
		hr.Header.Set("x-api-key", DemoAPIKey)
		hr.Header.Set("en-workspace", "acme")
		hr.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, hr)
		if ce := rec.Header().Get("Content-Encoding"); ce != "gzip" {
			t.Errorf("Accept-Encoding %q: answered Content-Encoding %q", ae, ce)
		}
	}
}
