package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no base URL", func(o *Options) { o.BaseURL = "" }, "base URL is empty"},
		{"ftp", func(o *Options) { o.BaseURL = "ftp://api.enspace.io" }, "scheme must be http or https"},
		{"no scheme", func(o *Options) { o.BaseURL = "api.enspace.io" }, "scheme must be http or https"},
		{"no host", func(o *Options) { o.BaseURL = "https:///x" }, "no host"},
		{"user in URL", func(o *Options) { o.BaseURL = "https://me:pw@api.enspace.io" }, "must not carry a user"},
		{"query", func(o *Options) { o.BaseURL = "https://api.enspace.io/?x=1" }, "query or fragment"},
		{"bad URL", func(o *Options) { o.BaseURL = "https://api.enspace.io/%zz" }, "base URL"},
		{"bad URL with a user", func(o *Options) { o.BaseURL = "https://me:pw%zz@api.enspace.io" }, `base URL: invalid URL escape "%zz"`},
		{"no key", func(o *Options) { o.APIKey = "" }, "API key is empty"},
		{"key with newline", func(o *Options) { o.APIKey = testKey + "\n" }, "stray newline"},
		{"negative concurrency", func(o *Options) { o.Concurrency = -1 }, "concurrency out of range"},
		{"page too large", func(o *Options) { o.PageSize = 101 }, "page size out of range"},
		{"negative timeout", func(o *Options) { o.Timeout = -1 }, "timeout out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{BaseURL: "https://api.leif.enspace.io", APIKey: testKey}
			tt.edit(&opts)
			_, err := New(opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey.Reveal()) || strings.Contains(err.Error(), "pw") {
				t.Errorf("error %q holds a secret", err)
			}
		})
	}
	c, err := New(Options{BaseURL: "https://acme.api.enspace.io/", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.Concurrency != 8 || c.opts.PageSize != 100 || c.opts.MaxAttempts != 8 || c.base != "https://acme.api.enspace.io" || c.opts.APIKey != "" {
		t.Errorf("defaults: %+v, base %q", c.opts, c.base)
	}
}

func TestHeaders(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	bodies := map[string]string{}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = r.Header.Clone()
		bodies[r.Method+" "+r.URL.Path] = string(b)
		mu.Unlock()
		writeJSON(w, 200, `[]`)
	})
	c, _ := newTestClient(t, srv.URL+"/prefix/", func(o *Options) { o.UserAgent = "enspace-sync/1.2" })
	ctx := context.Background()
	if _, err := c.Do(ctx, "types.create", "acme", nil, map[string]string{"slug": "contracts"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, "api-keys.list", "ignored", nil, nil); err != nil {
		t.Fatal(err)
	}
	create, list := seen["POST /prefix/ws/types"], seen["GET /prefix/user-api-keys"]
	if create == nil || list == nil {
		t.Fatalf("requests seen: %v", seen)
	}
	for name, want := range map[string]string{"X-Api-Key": testKey.Reveal(), "En-Workspace": "acme",
		"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "enspace-sync/1.2"} {
		if got := create.Get(name); got != want {
			t.Errorf("create %s = %q, want %q", name, got, want)
		}
	}
	if bodies["POST /prefix/ws/types"] != `{"slug":"contracts"}` {
		t.Errorf("create body = %q", bodies["POST /prefix/ws/types"])
	}
	if list.Get("X-Api-Key") != testKey.Reveal() || list.Get("En-Workspace") != "" || list.Get("Content-Type") != "" {
		t.Errorf("user-level GET headers: %v", list)
	}

	before := len(seen)
	_, err := c.Do(ctx, "types.list", "", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "needs a workspace") || len(seen) != before {
		t.Errorf("workspace route without a workspace: %v (requests %d -> %d)", err, before, len(seen))
	}
	if _, err := c.Do(ctx, "types.nope", "acme", nil, nil); err == nil || !strings.Contains(err.Error(), `unknown route "types.nope"`) {
		t.Errorf("unknown route: %v", err)
	}
	if _, err := c.Do(ctx, "types.get", "acme", nil, nil); err == nil || !strings.Contains(err.Error(), "no value for {type}") {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestAny2xxIsSuccess(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		want   string
	}{{200, `{"id": 1}`, `{"id": 1}`}, {201, `{"id": 2}`, `{"id": 2}`}, {202, ``, ``}, {204, ``, ``}} {
		srv, _ := scripted(t, answer(tt.status, tt.body))
		c, _ := newTestClient(t, srv.URL, nil)
		got, err := c.Do(context.Background(), "types.delete", "acme", map[string]string{"type": "x"}, nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("%d: Do = %q, %v; want %q", tt.status, got, err, tt.want)
		}
	}
}

func TestGetAndCount(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.EscapedPath() {
		case "/ws/types/con%20tracts":
			writeJSON(w, 200, `{"id": 7, "slug": "con tracts"}`)
		case "/ws/types/con%20tracts/items/1001":
			writeJSON(w, 200, `{"id": 1001, "data": {}}`)
		case "/ws/types/count":
			writeJSON(w, 200, `{"count": 12}`)
		case "/ws/roles/count":
			writeJSON(w, 200, `<html>`)
		default:
			writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
		}
	})
	c, _ := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	typ, err := c.Get(ctx, mustKind(t, "types"), "acme", map[string]string{"type": "con tracts"})
	if err != nil || typ.ID != "7" || typ.Key != "con tracts" || typ.Kind != kind.Types || string(typ.Raw) != `{"id": 7, "slug": "con tracts"}` {
		t.Errorf("Get type = %+v, %v", typ, err)
	}
	item, err := c.Get(ctx, mustKind(t, "items"), "acme", map[string]string{"type": "con tracts", "id": "1001"})
	if err != nil || item.ID != "1001" || item.Parent != "con tracts" {
		t.Errorf("Get item = %+v, %v", item, err)
	}
	if _, err := c.Get(ctx, mustKind(t, "types"), "acme", map[string]string{"type": "gone"}); StatusOf(err) != 404 {
		t.Errorf("Get missing = %v, want 404", err)
	}

	for _, tt := range []struct {
		kind string
		n    int
		ok   bool
		err  error
	}{
		{"types", 12, true, nil},
		{"members", 0, false, nil},          // 404: a server without counts
		{"groups", 0, false, nil},           // no count route
		{"roles", 0, false, ErrInvalidBody}, // not a count
	} {
		n, ok, err := c.Count(ctx, mustKind(t, tt.kind), "acme", nil)
		if n != tt.n || ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("Count(%s) = %d, %v, %v; want %d, %v, %v", tt.kind, n, ok, err, tt.n, tt.ok, tt.err)
		}
	}
}

func TestRedirects(t *testing.T) {
	var hits int
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws/types" {
			http.Redirect(w, r, "/v2/ws/types", http.StatusTemporaryRedirect)
			return
		}
		hits++
		if r.Header.Get("x-api-key") != testKey.Reveal() {
			writeJSON(w, 401, BodyUnauthorized)
			return
		}
		writeJSON(w, 200, `[]`)
	})
	c, _ := newTestClient(t, srv.URL, nil)
	if got, err := c.Do(context.Background(), "types.list", "acme", nil, nil); err != nil || string(got) != "[]" || hits != 1 {
		t.Errorf("same-host redirect: %q, %v, %d hits", got, err, hits)
	}
	// Redirects to another host are refused (TestKeyNeverLeaks checks the
	// key does not travel); here, that the refusal is not retried.
	other := serve(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[]`) })
	away, n := scripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL, http.StatusFound) })
	c, _ = newTestClient(t, away.URL, nil)
	if _, err := c.Do(context.Background(), "types.list", "acme", nil, nil); !errors.Is(err, errRedirect) || n.Load() != 1 {
		t.Errorf("redirect to another host: %v after %d requests", err, n.Load())
	}
}

func TestWithPage(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"/ws/types", "/ws/types?limit=100&page=3"},
		{"/c-flows?type=con+tracts", "/c-flows?limit=100&page=3&type=con+tracts"},
		{"/c-flows?type=x&page=9&limit=5", "/c-flows?limit=100&page=3&type=x"},
		{"/ws/types/a%2Fb/items", "/ws/types/a%2Fb/items?limit=100&page=3"},
		{"/ws/types/con%20tracts/fields", "/ws/types/con%20tracts/fields?limit=100&page=3"},
	} {
		got, err := withPage(tt.path, 3, 100)
		if err != nil || got != tt.want {
			t.Errorf("withPage(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}
