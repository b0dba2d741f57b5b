package fakeapi

import (
	"testing"
)

func TestTypeDeleteCascades(t *testing.T) {
	s := newServer(t, Options{})
	before := s.Workspace("acme").Counts()
	paths := getPaths(t, s)
	send(t, s, "DELETE", "acme", "/ws/types/contracts", nil)
	after := s.Workspace("acme").Counts()
	want := before
	want.Types--
	want.Fields -= 7
	want.Items -= 90
	want.Forms, want.Flows, want.Stages, want.Tasks, want.ScheduleTasks = 0, 0, 0, 0, 0
	if after != want {
		t.Errorf("counts after delete\n got %+v\nwant %+v", after, want)
	}
	var stats Counts
	mustJSON(t, get(t, s, "acme", "/workspaces/stats"), &stats)
	if stats != after {
		t.Errorf("stats %+v, want %+v", stats, after)
	}
	for _, route := range []string{"types.get", "fields.list", "items.list", "items.count", "items.get", "flows.list", "flows.get",
		"stages.list", "stages.get", "tasks.list", "tasks.get", "forms.list", "forms.get", "forms.create-list"} {
		if a := do(t, s, req{method: "GET", path: paths[route], ws: "acme"}); a.status != 404 {
			t.Errorf("%s GET %s after delete: %d", route, paths[route], a.status)
		}
	}
	if rows := list(t, s, "acme", "/c-schedule-tasks"); len(rows) != 0 {
		t.Errorf("schedule tasks left: %v", rows)
	}
	if got := countOf(t, s, "acme", "/ws/types/count"); got != 2 {
		t.Errorf("types count = %d", got)
	}
	// Permissions on the slug are left alone; a new type of the same slug
	// has whatever they say, and nothing else.
	var roles []roleView
	mustJSON(t, get(t, s, "acme", "/ws/roles"), &roles)
	onContracts := 0
	for _, r := range roles {
		for _, p := range r.Permissions {
			if p.Entity == "contracts" {
				onContracts++
			}
		}
	}
	if onContracts != 5 {
		t.Errorf("%d permissions on contracts after delete, want 5", onContracts)
	}
	// acme-stage is untouched.
	if got := countOf(t, s, "acme-stage", "/ws/types/contracts/items/count"); got != 18 {
		t.Errorf("acme-stage contracts = %d", got)
	}
}

func TestTypeCreateUpdate(t *testing.T) {
	s := newServer(t, Options{})
	ty := send(t, s, "POST", "acme", "/ws/types", map[string]any{"name": "Propostas Comerciais", "icon": "star", "settings": map[string]any{"b": 1, "a": 2}})
	if ty["slug"] != "propostas-comerciais" || ty["color"] != "" || num(ty["id"]) == 0 {
		t.Errorf("created %v", ty)
	}
	if a := do(t, s, req{method: "POST", path: "/ws/types", ws: "acme", body: map[string]any{"name": "X", "slug": "clients"}}); a.status != 400 {
		t.Errorf("duplicate slug: %d %s", a.status, a.body)
	}
	if a := do(t, s, req{method: "POST", path: "/ws/types", ws: "acme", body: map[string]any{}}); a.status != 400 {
		t.Errorf("no name: %d %s", a.status, a.body)
	}
	if a := do(t, s, req{method: "PUT", path: "/ws/types/clients", ws: "acme", body: map[string]any{"slug": "contracts"}}); a.status != 400 {
		t.Errorf("rename onto another slug: %d", a.status)
	}
	send(t, s, "PUT", "acme", "/ws/types/clients", map[string]any{"slug": "customers", "description": "Renamed"})
	var fields []fieldView
	mustJSON(t, get(t, s, "acme", "/ws/types/contracts/fields"), &fields)
	if string(fields[1].Options) != `{"type":"customers","multiple":false}` {
		t.Errorf("relation options after rename: %s", fields[1].Options)
	}
	if got := countOf(t, s, "acme", "/ws/types/customers/items/count"); got != 60 {
		t.Errorf("renamed type items = %d", got)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/clients", ws: "acme"}); a.status != 404 {
		t.Errorf("old slug: %d", a.status)
	}
}
