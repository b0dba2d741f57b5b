package fakeapi

import (
	"strings"
	"testing"
)

func TestItemValidation(t *testing.T) {
	s := newServer(t, Options{})
	client := list(t, s, "acme", "/ws/types/clients/items?limit=1")[0]
	cid := num(client["id"])
	tests := []struct {
		name    string
		data    any
		status  int
		wantMsg string
	}{
		{"no data", nil, 400, "data should not be empty"},
		{"required missing", map[string]any{"value": 10}, 400, `["data.number should not be empty"]`},
		{"required null", map[string]any{"number": nil}, 400, "data.number should not be empty"},
		{"required empty", map[string]any{"number": ""}, 400, "data.number should not be empty"},
		{"unknown key", map[string]any{"number": "A", "colour": "red"}, 400, `data.colour is not a field of type \"contracts\"`},
		{"number as string", map[string]any{"number": "A", "value": "12"}, 400, "data.value must be a number"},
		{"bad date", map[string]any{"number": "A", "start_date": "31/12/2025"}, 400, "must be a valid ISO 8601 date"},
		{"bad boolean", map[string]any{"number": "A", "signed": "yes"}, 400, "must be a boolean"},
		{"relation to nothing", map[string]any{"number": "A", "client": 1}, 400, `must be the id of an item of type \"clients\"`},
		{"relation to an item of another type", map[string]any{"number": "A", "client": cid + 60}, 400, "must be the id of an item"},
		{"valid", map[string]any{"number": "CT-9", "client": cid, "value": 12.5, "start_date": "2026-01-31", "status": "draft", "signed": false}, 200, `"number":"CT-9"`},
		{"nullable optional", map[string]any{"number": "CT-10", "client": nil}, 200, `"client":null`},
	}
	for _, tt := range tests {
		body := map[string]any{}
		if tt.data != nil {
			body["data"] = tt.data
		}
		a := do(t, s, req{method: "POST", path: "/ws/types/contracts/items", ws: "acme", body: body})
		if a.status != tt.status || !strings.Contains(string(a.body), tt.wantMsg) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, a.status, a.body, tt.status, tt.wantMsg)
		}
	}
	if got := countOf(t, s, "acme", "/ws/types/contracts/items/count"); got != 92 {
		t.Errorf("count after two creates = %d, want 92", got)
	}
}

func TestItemLifecycle(t *testing.T) {
	s := newServer(t, Options{})
	it := send(t, s, "POST", "acme", "/ws/types/clients/items", map[string]any{"data": map[string]any{"name": "Padaria São João & Cia", "city": "São Paulo"}})
	for _, k := range []string{"id", "type", "data", "user", "created_at", "updated_at"} {
		if _, ok := it[k]; !ok {
			t.Errorf("item lacks %s: %v", k, it)
		}
	}
	if it["created_at"] != "2026-03-11T20:02:10.058Z" || it["type"] != "clients" {
		t.Errorf("item %v", it)
	}
	if u := it["user"].(map[string]any); u["email"] != "ana@acme.com" {
		t.Errorf("user %v", u)
	}
	path := "/ws/types/clients/items/" + itoa(num(it["id"]))
	raw := get(t, s, "acme", path)
	if !strings.Contains(string(raw), `"name":"Padaria São João & Cia"`) {
		t.Errorf("unicode and & not kept as sent: %s", raw)
	}
	it = send(t, s, "PUT", "acme", path, map[string]any{"data": map[string]any{"city": "Curitiba", "active": true}})
	data := it["data"].(map[string]any)
	if data["name"] != "Padaria São João & Cia" || data["city"] != "Curitiba" || data["active"] != true {
		t.Errorf("update did not merge: %v", data)
	}
	if a := do(t, s, req{method: "PUT", path: path, ws: "acme", body: map[string]any{"data": map[string]any{"name": nil}}}); a.status != 400 {
		t.Errorf("required set to null: %d", a.status)
	}
	send(t, s, "DELETE", "acme", path, nil)
	if a := do(t, s, req{method: "GET", path: path, ws: "acme"}); a.status != 404 {
		t.Errorf("deleted item: %d", a.status)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/nope/items", ws: "acme"}); a.status != 404 {
		t.Errorf("unknown type: %d", a.status)
	}
}

func TestWorkspaceMutators(t *testing.T) {
	s := newServer(t, Options{Data: "empty"})
	w := s.Workspace("acme")
	if err := w.CreateType(map[string]any{"name": "Leads"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddField("leads", map[string]any{"name": "Name", "slug": "name", "type": "text", "required": true}); err != nil {
		t.Fatal(err)
	}
	id, err := w.CreateItem("leads", map[string]any{"name": "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateItem("leads", map[string]any{}); err == nil {
		t.Error("CreateItem without a required field succeeded")
	}
	if err := w.UpdateItem("leads", id, map[string]any{"name": "Bea"}); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, "acme", "/ws/types/leads/items")[0]["data"].(map[string]any)["name"]; got != "Bea" {
		t.Errorf("after UpdateItem: %v", got)
	}
	if err := w.UpdateType("leads", map[string]any{"description": "Prospects"}); err != nil {
		t.Fatal(err)
	}
	if ids := w.ItemIDs("leads"); len(ids) != 1 || ids[0] != id {
		t.Errorf("ItemIDs = %v", ids)
	}
	if err := w.DeleteItem("leads", id); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteField("leads", "name"); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteType("leads"); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteType("leads"); err == nil {
		t.Error("deleting a missing type succeeded")
	}
	if got := w.Counts(); got.Types != 0 || got.Members != 1 {
		t.Errorf("counts %+v", got)
	}
}

// TestRequiredRelations: with Options.RequiredRelations, contracts.client
// is a required relation field, enforced on create and update.
func TestRequiredRelations(t *testing.T) {
	s := newServer(t, Options{RequiredRelations: true})
	fields := list(t, s, "acme", "/ws/types/contracts/fields")
	found := false
	for _, f := range fields {
		if f["slug"] == "client" {
			found = true
			if f["required"] != true || f["type"] != "relation" {
				t.Errorf("field client: %v, want a required relation", f)
			}
		}
	}
	if !found {
		t.Fatal("contracts has no field client")
	}
	client := list(t, s, "acme", "/ws/types/clients/items?limit=1")[0]
	a := do(t, s, req{method: "POST", path: "/ws/types/contracts/items", ws: "acme", body: map[string]any{"data": map[string]any{"number": "CT-X"}}})
	if a.status != 400 || !strings.Contains(string(a.body), "data.client should not be empty") {
		t.Errorf("create without client: %d %s", a.status, a.body)
	}
	it := send(t, s, "POST", "acme", "/ws/types/contracts/items", map[string]any{"data": map[string]any{"number": "CT-X", "client": client["id"]}})
	a = do(t, s, req{method: "PUT", path: "/ws/types/contracts/items/" + itoa(num(it["id"])), ws: "acme", body: map[string]any{"data": map[string]any{"client": nil}}})
	if a.status != 400 || !strings.Contains(string(a.body), "data.client should not be empty") {
		t.Errorf("update setting client to null: %d %s", a.status, a.body)
	}
	plain := newServer(t, Options{})
	for _, f := range list(t, plain, "acme", "/ws/types/contracts/fields") {
		if f["slug"] == "client" && f["required"] != false {
			t.Errorf("without the option, client is %v", f)
		}
	}
}

// TestRequiredCycle: with Options.RequiredCycle, clients.main_contract is
// a required relation to contracts as well, every client has one (an
// existing contract), and a client cannot be created without it.
func TestRequiredCycle(t *testing.T) {
	s := newServer(t, Options{RequiredCycle: true})
	var main map[string]any
	for _, f := range list(t, s, "acme", "/ws/types/clients/fields") {
		if f["slug"] == "main_contract" {
			main = f
		}
	}
	if main == nil || main["required"] != true || main["type"] != "relation" {
		t.Fatalf("clients.main_contract: %v, want a required relation", main)
	}
	contracts := map[string]bool{}
	for _, c := range list(t, s, "acme", "/ws/types/contracts/items?limit=100") {
		contracts[itoa(num(c["id"]))] = true
	}
	clients := list(t, s, "acme", "/ws/types/clients/items?limit=100")
	if len(clients) != 60 {
		t.Errorf("%d clients, want 60", len(clients))
	}
	for _, c := range clients {
		data, _ := c["data"].(map[string]any)
		if v := data["main_contract"]; v == nil || !contracts[itoa(num(v))] {
			t.Errorf("client %v: main_contract %v is not a contract", c["id"], v)
		}
	}
	a := do(t, s, req{method: "POST", path: "/ws/types/clients/items", ws: "acme", body: map[string]any{"data": map[string]any{"name": "X"}}})
	if a.status != 400 || !strings.Contains(string(a.body), "data.main_contract should not be empty") {
		t.Errorf("create without main_contract: %d %s", a.status, a.body)
	}
	for _, f := range list(t, newServer(t, Options{RequiredRelations: true}), "acme", "/ws/types/clients/fields") {
		if f["slug"] == "main_contract" {
			t.Errorf("without RequiredCycle, clients has %v", f)
		}
	}
}
