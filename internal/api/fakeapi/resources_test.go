package fakeapi

import (
	"strings"
	"testing"
)

func TestRolesAndPermissions(t *testing.T) {
	s := newServer(t, Options{})
	r := send(t, s, "POST", "acme", "/ws/roles", map[string]any{"name": "Auditor", "description": "Reads everything",
		"permissions": []map[string]any{{"entity": "invoices", "action": "read"}}})
	id := itoa(num(r["id"]))
	if r["slug"] != "auditor" || len(r["permissions"].([]any)) != 1 {
		t.Fatalf("created %v", r)
	}
	if a := do(t, s, req{method: "POST", path: "/ws/roles", ws: "acme", body: map[string]any{"name": "Other", "slug": "auditor"}}); a.status != 400 {
		t.Errorf("duplicate slug: %d", a.status)
	}
	p := send(t, s, "POST", "acme", "/ws/roles/"+id+"/permissions", map[string]any{"entity": "contracts", "action": "update", "rules": map[string]any{"own": true}})
	if p["entity"] != "contracts" || num(p["id"]) == 0 {
		t.Errorf("added %v", p)
	}
	for _, bad := range []map[string]any{{"entity": "contracts", "action": "update"}, {"entity": "contracts", "action": "approve"}, {"action": "read"}} {
		if a := do(t, s, req{method: "POST", path: "/ws/roles/" + id + "/permissions", ws: "acme", body: bad}); a.status != 400 {
			t.Errorf("add %v: %d", bad, a.status)
		}
	}
	if rows := list(t, s, "acme", "/ws/roles/"+id+"/permissions"); len(rows) != 2 {
		t.Errorf("permissions %v", rows)
	}
	send(t, s, "DELETE", "acme", "/ws/roles/"+id+"/permissions/"+itoa(num(p["id"])), nil)
	if a := do(t, s, req{method: "DELETE", path: "/ws/roles/" + id + "/permissions/" + itoa(num(p["id"])), ws: "acme"}); a.status != 404 {
		t.Errorf("remove twice: %d", a.status)
	}
	r = send(t, s, "PUT", "acme", "/ws/roles/"+id, map[string]any{"name": "Auditors"})
	if r["name"] != "Auditors" || len(r["permissions"].([]any)) != 1 {
		t.Errorf("update %v", r)
	}
	if got := countOf(t, s, "acme", "/ws/roles/count"); got != 4 {
		t.Errorf("roles count %d", got)
	}
	// Deleting a role leaves its members without one.
	send(t, s, "DELETE", "acme", "/ws/roles/5", nil)
	for _, m := range list(t, s, "acme", "/ws/members") {
		if num(m["role"]) == 5 {
			t.Errorf("member %v keeps a deleted role", m["id"])
		}
	}
}

func TestGroups(t *testing.T) {
	s := newServer(t, Options{})
	g := send(t, s, "POST", "acme", "/ws/member-groups", map[string]any{"name": "Sales", "users": []int{16, 13}})
	id := itoa(num(g["id"]))
	if got := g["users"].([]any); len(got) != 2 || num(got[0]) != 13 {
		t.Errorf("created %v", g)
	}
	g = send(t, s, "POST", "acme", "/ws/member-groups/"+id+"/users", map[string]any{"users": []int{14, 13}})
	if len(g["users"].([]any)) != 3 {
		t.Errorf("add users %v", g["users"])
	}
	g = send(t, s, "DELETE", "acme", "/ws/member-groups/"+id+"/users", map[string]any{"users": []int{16}})
	if len(g["users"].([]any)) != 2 {
		t.Errorf("remove users %v", g["users"])
	}
	for _, method := range []string{"POST", "DELETE"} {
		a := do(t, s, req{method: method, path: "/ws/member-groups/" + id + "/users", ws: "acme", body: map[string]any{"users": []int{424242}}})
		if a.status != 400 || !strings.Contains(string(a.body), "424242") {
			t.Errorf("%s unknown member: %d %s", method, a.status, a.body)
		}
	}
	if a := do(t, s, req{method: "POST", path: "/ws/member-groups", ws: "acme", body: map[string]any{}}); a.status != 400 {
		t.Errorf("no name: %d", a.status)
	}
	send(t, s, "PUT", "acme", "/ws/member-groups/"+id, map[string]any{"description": "Field sales"})
	send(t, s, "DELETE", "acme", "/ws/member-groups/"+id, nil)
	if rows := list(t, s, "acme", "/ws/member-groups"); len(rows) != 2 {
		t.Errorf("groups %d", len(rows))
	}
}

func TestQuickTasks(t *testing.T) {
	s := newServer(t, Options{})
	item := num(list(t, s, "acme", "/ws/types/invoices/items?limit=1")[0]["id"])
	q := send(t, s, "POST", "acme", "/ws/quick-tasks", map[string]any{"title": "Chase payment", "due_date": "2026-12-01",
		"assignees": map[string]any{"members": []int{13}, "groups": []int{300}}, "item": map[string]any{"type": "invoices", "id": item}})
	if q["status"] != "open" || q["due_date"] != "2026-12-01" || q["item"].(map[string]any)["type"] != "invoices" {
		t.Errorf("created %v", q)
	}
	id := itoa(num(q["id"]))
	q = send(t, s, "PUT", "acme", "/ws/quick-tasks/"+id, map[string]any{"status": "done", "item": nil})
	if q["status"] != "done" || q["item"] != nil || q["title"] != "Chase payment" {
		t.Errorf("updated %v", q)
	}
	for name, body := range map[string]map[string]any{
		"no title":       {},
		"unknown member": {"title": "x", "assignees": map[string]any{"members": []int{99}}},
		"unknown group":  {"title": "x", "assignees": map[string]any{"groups": []int{99}}},
		"unknown item":   {"title": "x", "item": map[string]any{"type": "invoices", "id": 1}},
		"bad status":     {"title": "x", "status": "later"},
		"bad due date":   {"title": "x", "due_date": "soon"},
	} {
		if a := do(t, s, req{method: "POST", path: "/ws/quick-tasks", ws: "acme", body: body}); a.status != 400 {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	if got := countOf(t, s, "acme", "/ws/quick-tasks/count"); got != 4 {
		t.Errorf("count %d", got)
	}
	send(t, s, "DELETE", "acme", "/ws/quick-tasks/"+id, nil)
	if got := countOf(t, s, "acme", "/ws/quick-tasks/count"); got != 3 {
		t.Errorf("count after delete %d", got)
	}
}

func TestTaskCreate(t *testing.T) {
	s := newServer(t, Options{})
	stage := num(list(t, s, "acme", "/c-flow-stages?flow=4")[1]["id"])
	k := send(t, s, "POST", "acme", "/c-flow-tasks", map[string]any{"stage": stage, "name": "Email the client", "action": "send_email",
		"assignees": map[string]any{"roles": []int{6}}})
	if num(k["stage"]) != stage || k["integration"] != nil {
		t.Errorf("created %v", k)
	}
	if rows := list(t, s, "acme", "/c-flow-tasks?stage="+itoa(stage)); len(rows) != 2 {
		t.Errorf("tasks of stage: %d", len(rows))
	}
	for name, body := range map[string]map[string]any{
		"unknown stage":           {"stage": 999, "name": "x", "action": "notify"},
		"integration missing":     {"stage": stage, "name": "x", "action": "use_integration"},
		"unknown integration":     {"stage": stage, "name": "x", "action": "use_integration", "integration": 1},
		"unknown action":          {"stage": stage, "name": "x", "action": "dance"},
		"unknown role assignee":   {"stage": stage, "name": "x", "action": "notify", "assignees": map[string]any{"roles": []int{99}}},
		"unknown member assignee": {"stage": stage, "name": "x", "action": "notify", "assignees": map[string]any{"members": []int{99}}},
	} {
		if a := do(t, s, req{method: "POST", path: "/c-flow-tasks", ws: "acme", body: body}); a.status != 400 {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	for _, path := range []string{"/c-flows/4", "/c-flow-stages/1", "/c-forms/3", "/c-schedule-tasks/8"} {
		for _, method := range []string{"PUT", "DELETE"} {
			if a := do(t, s, req{method: method, path: path, ws: "acme", body: "{}"}); a.status != 404 {
				t.Errorf("%s %s on a read-only kind: %d", method, path, a.status)
			}
		}
	}
}
