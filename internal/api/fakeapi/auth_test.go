package fakeapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// testKey makes a well-formed key from a word: "en." and 34 characters.
func testKey(word string) string { return "en." + word + strings.Repeat("0", 34-len(word)) }

var (
	readKey    = testKey("read")
	writeKey   = testKey("write")
	acmeKey    = testKey("acme")
	expiredKey = testKey("expired")
	brunoKey   = testKey("bruno")
	strangeKey = testKey("stranger")
)

func keyedServer(t *testing.T) *Server {
	t.Helper()
	all := []string{"read", "write", "delete"}
	return newServer(t, Options{APIKeys: []Key{
		{Secret: DemoAPIKey, Scopes: all},
		{Secret: readKey, Scopes: []string{"read"}},
		{Secret: writeKey, Scopes: []string{"write"}},
		{Secret: acmeKey, Scopes: all, Workspaces: []string{"acme"}},
		{Secret: expiredKey, Scopes: all, ExpiresAt: testNow.Add(-time.Second)},
		{Secret: brunoKey, Scopes: all, Owner: "bruno.souza@acme.com"},
		{Secret: strangeKey, Scopes: all, Owner: "someone@else.com"},
	}})
}

func TestDemoAPIKeyShape(t *testing.T) {
	if !validSecret(DemoAPIKey) {
		t.Fatalf("DemoAPIKey %q is not \"en.\" and 34 alphanumerics", DemoAPIKey)
	}
	for _, bad := range []string{"en.short", "xx.demo000000000000000000000000000000", DemoAPIKey + "0", "en.demo00000000000000000000000000000-"} {
		if validSecret(bad) {
			t.Errorf("validSecret(%q) = true", bad)
		}
	}
	if _, err := New(Options{APIKeys: []Key{{Secret: "en.short"}}}); err == nil {
		t.Error("New accepted a malformed key")
	}
}

func TestAuthErrors(t *testing.T) {
	s := keyedServer(t)
	scope := func(name string) string {
		return `{"statusCode":403,"error":"Forbidden","message":"Token lacks the ` + name + ` scope"}`
	}
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantBody   string // exact, when set
	}{
		{"no key", req{method: "GET", path: "/ws/types", ws: "acme", key: "-"}, 401, api.BodyUnauthorized},
		{"no key and no workspace", req{method: "GET", path: "/ws/types", key: "-"}, 401, api.BodyUnauthorized},
		{"unknown key", req{method: "GET", path: "/ws/types", ws: "acme", key: "en.nope000000000000000000000000000000"}, 401, api.BodyUnauthorized},
		{"expired key", req{method: "GET", path: "/ws/types", ws: "acme", key: expiredKey}, 401, api.BodyUnauthorized},
		{"no workspace", req{method: "GET", path: "/ws/types"}, 400, api.BodyMissingWorkspace},
		{"no workspace before scope", req{method: "POST", path: "/ws/types", key: readKey}, 400, api.BodyMissingWorkspace},
		{"workspace not allowed", req{method: "GET", path: "/ws/types", ws: "acme-stage", key: acmeKey}, 403, api.BodyForbidden},
		{"unknown workspace", req{method: "GET", path: "/ws/types", ws: "nowhere"}, 403, api.BodyForbidden},
		{"not a member", req{method: "GET", path: "/ws/types", ws: "acme", key: strangeKey}, 403, api.BodyForbidden},
		{"write without scope", req{method: "POST", path: "/ws/types", ws: "acme", key: readKey, body: map[string]any{"name": "X"}}, 403, scope("write")},
		{"delete without scope", req{method: "DELETE", path: "/ws/types/clients", ws: "acme", key: writeKey}, 403, scope("delete")},
		{"read without scope", req{method: "GET", path: "/ws/types", ws: "acme", key: writeKey}, 403, scope("read")},
		{"no-WS route without scope", req{method: "GET", path: "/user-api-keys", key: writeKey}, 403, scope("read")},
		{"unknown path", req{method: "GET", path: "/x"}, 404, `{"statusCode":404,"error":"Not Found","message":"Cannot GET /x"}`},
		{"unknown method", req{method: "PATCH", path: "/ws/types/clients", ws: "acme"}, 404, `{"statusCode":404,"error":"Not Found","message":"Cannot PATCH /ws/types/clients"}`},
		{"workspace by slug", req{method: "GET", path: "/ws/types", ws: "acme"}, 200, ""},
		{"workspace by id", req{method: "GET", path: "/ws/types", ws: "ws-1"}, 200, ""},
		{"allowed workspace", req{method: "GET", path: "/ws/types", ws: "acme", key: acmeKey}, 200, ""},
		{"member's own key", req{method: "GET", path: "/ws/types", ws: "acme", key: brunoKey}, 200, ""},
		{"no-WS route", req{method: "GET", path: "/workspaces"}, 200, ""},
		{"unknown query ignored", req{method: "GET", path: "/ws/types?foo=bar&limit=x", ws: "acme"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, s, tt.r)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", a.status, tt.wantStatus, a.body)
			}
			if tt.wantBody != "" && string(a.body) != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", a.body, tt.wantBody)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestWorkspacesVisibleToKey(t *testing.T) {
	s := keyedServer(t)
	tests := []struct {
		key  string
		want string
	}{
		{"", "acme,acme-stage"},
		{acmeKey, "acme"},
		{strangeKey, ""},
	}
	for _, tt := range tests {
		a := do(t, s, req{method: "GET", path: "/workspaces", key: tt.key})
		var rows []workspaceView
		mustJSON(t, a.body, &rows)
		var got []string
		for _, r := range rows {
			got = append(got, r.Slug)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("key %q: workspaces = %v, want %s", tt.key, got, tt.want)
		}
	}
}

func TestWorkspaceLifecycle(t *testing.T) {
	s := keyedServer(t)
	w := send(t, s, "POST", "", "/workspaces", map[string]any{"name": "Acme Brasil"})
	if w["slug"] != "acme-brasil" || !strings.HasPrefix(w["id"].(string), "ws-") {
		t.Fatalf("created %v", w)
	}
	if a := do(t, s, req{method: "POST", path: "/workspaces", body: map[string]any{"name": "x", "slug": "acme"}}); a.status != 400 {
		t.Errorf("duplicate slug: status %d", a.status)
	}
	members := list(t, s, "acme-brasil", "/ws/members")
	if len(members) != 1 || members[0]["type"] != "owner" {
		t.Errorf("new workspace members = %v", members)
	}
	// Bruno may leave acme; the owner may neither leave nor be kept from deleting.
	if a := do(t, s, req{method: "DELETE", path: "/workspaces", ws: "acme", key: brunoKey}); a.status != http.StatusForbidden {
		t.Errorf("non-owner delete: status %d", a.status)
	}
	if a := do(t, s, req{method: "POST", path: "/workspaces/leave", ws: "acme", key: brunoKey}); a.status != 200 {
		t.Errorf("leave: status %d %s", a.status, a.body)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme", key: brunoKey}); a.status != 403 {
		t.Errorf("after leaving: status %d", a.status)
	}
	if a := do(t, s, req{method: "POST", path: "/workspaces/leave", ws: "acme"}); a.status != 400 {
		t.Errorf("owner leave: status %d", a.status)
	}
	send(t, s, "DELETE", "acme-brasil", "/workspaces", nil)
	if got := s.Workspaces(); strings.Join(got, ",") != "acme,acme-stage" {
		t.Errorf("after delete: %v", got)
	}
}
