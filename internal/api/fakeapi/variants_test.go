package fakeapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestReplaceOnUpdate: an item update replaces data (absent keys are
// gone), and, as on create, wants every required field.
func TestReplaceOnUpdate(t *testing.T) {
	s := newServer(t, Options{ReplaceOnUpdate: true, RequiredRelations: true})
	it := send(t, s, "POST", "acme", "/ws/types/clients/items", map[string]any{"data": map[string]any{"name": "A", "city": "Recife"}})
	path := "/ws/types/clients/items/" + itoa(num(it["id"]))
	it = send(t, s, "PUT", "acme", path, map[string]any{"data": map[string]any{"name": "B"}})
	if data := it["data"].(map[string]any); data["city"] != nil || data["name"] != "B" {
		t.Errorf("replace: %v, want name B alone", data)
	}
	contract := list(t, s, "acme", "/ws/types/contracts/items")[0]
	a := do(t, s, req{method: "PUT", path: "/ws/types/contracts/items/" + itoa(num(contract["id"])), ws: "acme",
		body: map[string]any{"data": map[string]any{"number": "X"}}})
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "data.client should not be empty") {
		t.Errorf("update without the required client: %d %s, want 400", a.status, a.body)
	}
}

// TestStrictFieldUpdate: a field update without name, slug and type is
// refused; the full body is taken.
func TestStrictFieldUpdate(t *testing.T) {
	s := newServer(t, Options{StrictFieldUpdate: true})
	f := list(t, s, "acme", "/ws/types/clients/fields")[0]
	path := "/ws/types/clients/fields/" + itoa(num(f["id"]))
	a := do(t, s, req{method: "PUT", path: path, ws: "acme", body: map[string]any{"required": true}})
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "name should not be empty") {
		t.Errorf("partial field update: %d %s, want 400", a.status, a.body)
	}
	full := map[string]any{"name": f["name"], "slug": f["slug"], "type": f["type"], "required": true}
	if got := send(t, s, "PUT", "acme", path, full); got["required"] != true {
		t.Errorf("full field update answered %v", got)
	}
}

// TestCreateAnswer: a create answered without the object creates it.
func TestCreateAnswer(t *testing.T) {
	for answer, body := range map[string]string{"empty": "", "array": "[]", "schema": `{"type":"array"`} {
		s := newServer(t, Options{CreateAnswer: answer})
		before := countOf(t, s, "acme", "/ws/types/clients/items/count")
		a := do(t, s, req{method: "POST", path: "/ws/types/clients/items", ws: "acme", body: map[string]any{"data": map[string]any{"name": "A"}}})
		if a.status != http.StatusCreated || !strings.HasPrefix(string(a.body), body) || (body == "" && len(a.body) != 0) {
			t.Errorf("%s: answered %d %s", answer, a.status, a.body)
		}
		if after := countOf(t, s, "acme", "/ws/types/clients/items/count"); after != before+1 {
			t.Errorf("%s: %d items after the create, want %d", answer, after, before+1)
		}
	}
	if _, err := New(Options{CreateAnswer: "xml"}); err == nil {
		t.Error("an unknown create answer is accepted")
	}
}
