package fakeapi

import (
	"strings"
	"testing"
)

func TestFieldInputAliases(t *testing.T) {
	s := newServer(t, Options{})
	f := send(t, s, "POST", "acme", "/ws/types/contracts/fields", map[string]any{
		"name": "Risk", "slug": "risk", "type": "select", "config": map[string]any{"choices": []string{"low", "high"}}, "order": 9,
	})
	if _, ok := f["config"]; ok {
		t.Errorf("answer has config: %v", f)
	}
	if _, ok := f["order"]; ok {
		t.Errorf("answer has order: %v", f)
	}
	opts, _ := f["options"].(map[string]any)
	if num(f["position"]) != 9 || opts == nil || len(opts["choices"].([]any)) != 2 {
		t.Errorf("options/position not answered: %v", f)
	}
	if f["required"] != false || f["active"] != true || f["defaultValue"] != nil {
		t.Errorf("defaults: %v", f)
	}
	path := "/ws/types/contracts/fields/" + itoa(num(f["id"]))
	f = send(t, s, "PUT", "acme", path, map[string]any{"order": 2, "required": true, "defaultValue": "low"})
	if num(f["position"]) != 2 || f["required"] != true || f["defaultValue"] != "low" {
		t.Errorf("update with order: %v", f)
	}
	// Items now need the field, and select values must be choices.
	a := do(t, s, req{method: "POST", path: "/ws/types/contracts/items", ws: "acme", body: map[string]any{"data": map[string]any{"number": "X-1", "risk": "medium"}}})
	if a.status != 400 || !strings.Contains(string(a.body), "data.risk must be one of") {
		t.Errorf("bad choice: %d %s", a.status, a.body)
	}
}

func TestFieldValidation(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name    string
		body    map[string]any
		status  int
		wantMsg string
	}{
		{"missing all", map[string]any{}, 400, `["name should not be empty","slug should not be empty","type should not be empty"]`},
		{"missing type", map[string]any{"name": "A", "slug": "a"}, 400, `["type should not be empty"]`},
		{"bad type", map[string]any{"name": "A", "slug": "a", "type": "colour"}, 400, "type must be one of the following values"},
		{"bad slug", map[string]any{"name": "A", "slug": "A b", "type": "text"}, 400, "slug must contain"},
		{"duplicate slug", map[string]any{"name": "A", "slug": "number", "type": "text"}, 400, `already exists in type \"contracts\"`},
		{"relation without target", map[string]any{"name": "A", "slug": "a", "type": "relation"}, 400, "needs options.type"},
		{"relation to unknown type", map[string]any{"name": "A", "slug": "a", "type": "relation", "options": map[string]any{"type": "nope"}}, 400, "needs options.type"},
		{"relation", map[string]any{"name": "Invoices", "slug": "invoices", "type": "relation", "options": map[string]any{"type": "invoices", "multiple": true}}, 200, `"multiple":true`},
		{"wrong json type", map[string]any{"name": 3, "slug": "b", "type": "text"}, 400, "name must be a string"},
	}
	for _, tt := range tests {
		a := do(t, s, req{method: "POST", path: "/ws/types/contracts/fields", ws: "acme", body: tt.body})
		if a.status != tt.status || !strings.Contains(string(a.body), tt.wantMsg) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, a.status, a.body, tt.status, tt.wantMsg)
		}
	}
	if a := do(t, s, req{method: "POST", path: "/ws/types/contracts/fields", ws: "acme", body: "[1"}); a.status != 400 {
		t.Errorf("invalid JSON: %d", a.status)
	}
}

func TestFieldRenameAndDelete(t *testing.T) {
	s := newServer(t, Options{})
	var fields []fieldView
	mustJSON(t, get(t, s, "acme", "/ws/types/contracts/fields"), &fields)
	var endDate, value fieldView
	for _, f := range fields {
		switch f.Slug {
		case "end_date":
			endDate = f
		case "value":
			value = f
		}
	}
	send(t, s, "PUT", "acme", "/ws/types/contracts/fields/"+itoa(endDate.ID), map[string]any{"slug": "ends_on"})
	var sched []scheduleView
	mustJSON(t, get(t, s, "acme", "/c-schedule-tasks"), &sched)
	if sched[0].ReferenceField != "ends_on" {
		t.Errorf("schedule task reference_field = %s after rename", sched[0].ReferenceField)
	}
	item := list(t, s, "acme", "/ws/types/contracts/items?limit=1")[0]
	data := item["data"].(map[string]any)
	if _, ok := data["ends_on"]; !ok {
		t.Errorf("item data after rename: %v", data)
	}
	send(t, s, "DELETE", "acme", "/ws/types/contracts/fields/"+itoa(value.ID), nil)
	item = list(t, s, "acme", "/ws/types/contracts/items?limit=1")[0]
	if _, ok := item["data"].(map[string]any)["value"]; ok {
		t.Errorf("deleted field still shown: %v", item["data"])
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/contracts/fields/" + itoa(value.ID), ws: "acme"}); a.status != 404 {
		t.Errorf("deleted field: %d", a.status)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/contracts/fields/abc", ws: "acme"}); a.status != 400 {
		t.Errorf("non-numeric id: %d", a.status)
	}
}
