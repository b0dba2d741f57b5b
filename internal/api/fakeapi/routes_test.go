package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// firstID returns the id of the first row a list answers.
func firstID(t testing.TB, s *Server, ws, path string) string {
	t.Helper()
	rows := list(t, s, ws, path)
	if len(rows) == 0 {
		t.Fatalf("GET %s: no rows", path)
	}
	return fmt.Sprint(num(rows[0]["id"]))
}

// getPaths returns, for every GET route of the table, a path that reaches
// an existing object of the demo workspace "acme".
func getPaths(t testing.TB, s *Server) map[string]string {
	t.Helper()
	routes := api.DefaultRoutes()
	params := map[string]string{"type": "contracts"}
	params["flow"] = firstID(t, s, "acme", "/c-flows?type=contracts")
	params["stage"] = firstID(t, s, "acme", "/c-flow-stages?flow="+params["flow"])
	ids := map[string]string{
		"fields":         firstID(t, s, "acme", "/ws/types/contracts/fields"),
		"items":          firstID(t, s, "acme", "/ws/types/contracts/items"),
		"flows":          params["flow"],
		"stages":         params["stage"],
		"tasks":          firstID(t, s, "acme", "/c-flow-tasks?stage="+params["stage"]),
		"forms":          firstID(t, s, "acme", "/c-forms?type=contracts"),
		"schedule-tasks": firstID(t, s, "acme", "/c-schedule-tasks"),
		"members":        firstID(t, s, "acme", "/ws/members"),
		"roles":          firstID(t, s, "acme", "/ws/roles"),
		"groups":         firstID(t, s, "acme", "/ws/member-groups"),
		"quick-tasks":    firstID(t, s, "acme", "/ws/quick-tasks"),
		"integrations":   firstID(t, s, "acme", "/workspace-integrations"),
	}
	out := map[string]string{}
	for _, name := range routes.Names() {
		rt := routes[name]
		if rt.Method != "GET" {
			continue
		}
		p := map[string]string{}
		for k, v := range params {
			p[k] = v
		}
		kind, _, _ := strings.Cut(name, ".")
		if id, ok := ids[kind]; ok {
			p["id"] = id
		}
		path, err := rt.Build(p)
		if err != nil {
			t.Fatalf("route %s: %v", name, err)
		}
		out[name] = path
	}
	return out
}

func TestEveryGetRouteAnswers(t *testing.T) {
	s := newServer(t, Options{})
	paths := getPaths(t, s)
	if len(paths) < 30 {
		t.Fatalf("only %d GET routes", len(paths))
	}
	for name, path := range paths {
		a := do(t, s, req{method: "GET", path: path, ws: "acme"})
		if a.status != 200 || !json.Valid(a.body) {
			t.Errorf("%s GET %s: status %d body %.200s", name, path, a.status, a.body)
		}
	}
}

// TestListsFitTheKindTable files every listed object with api.NewObject,
// which checks the id and key fields the kind table declares.
func TestListsFitTheKindTable(t *testing.T) {
	s := newServer(t, Options{})
	paths := getPaths(t, s)
	for _, k := range kind.All() {
		route := k.List
		if route == "" {
			route = k.Get
		}
		body := get(t, s, "acme", paths[route])
		var rows []json.RawMessage
		if k.Singleton {
			rows = []json.RawMessage{body}
		} else if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatalf("%s: %v", k.Name, err)
		}
		if len(rows) == 0 && k.Name != "request-logs" {
			t.Errorf("kind %s: the demo has none", k.Name)
		}
		for _, raw := range rows {
			if _, err := api.NewObject(k, "", raw); err != nil {
				t.Errorf("kind %s: %v", k.Name, err)
			}
		}
	}
}

func TestRouteOverrides(t *testing.T) {
	routes, err := api.DefaultRoutes().WithOverrides(map[string]string{
		"types.list": "/api/v2/types",
		"flows.list": "/flows/by-type/{type}",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Options{Routes: routes})
	if rows := list(t, s, "acme", "/api/v2/types"); len(rows) != 3 {
		t.Errorf("moved types.list: %d rows", len(rows))
	}
	if rows := list(t, s, "acme", "/flows/by-type/contracts"); len(rows) != 1 {
		t.Errorf("moved flows.list: %d rows", len(rows))
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme"}); a.status != 404 {
		t.Errorf("old path: status %d", a.status)
	}
	if _, err := New(Options{Routes: api.Routes{"no.such": {Method: "GET", Path: "/x"}}}); err == nil {
		t.Error("New accepted a route it has no handler for")
	}
	if _, err := New(Options{Routes: api.Routes{"types.list": {Method: "GET", Path: "/ws/types"}}}); err == nil {
		t.Error("New accepted a workspace route not marked Workspace")
	}
}

func TestRouterPrefersLiterals(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		path string
		want string
	}{
		{"/ws/types/count", `{"count":3}`},
		{"/ws/types/contracts/items/count", `{"count":90}`},
		{"/ws/types/contracts/", ""},
		{"/c-forms/create?type=contracts", ""},
	}
	for _, tt := range tests {
		body := get(t, s, "acme", tt.path)
		if tt.want != "" && string(body) != tt.want {
			t.Errorf("GET %s = %s, want %s", tt.path, body, tt.want)
		}
	}
	var fields []fieldView
	mustJSON(t, get(t, s, "acme", "/c-forms/create?type=contracts"), &fields)
	if len(fields) != 7 || fields[0].Slug != "number" {
		t.Errorf("form create list: %d fields", len(fields))
	}
	if a := do(t, s, req{method: "GET", path: "/c-flows", ws: "acme"}); a.status != 400 {
		t.Errorf("flows without ?type=: status %d", a.status)
	}
}
