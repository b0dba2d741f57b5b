package fakeapi

import (
	"testing"
)

// TestMergeOnUpdate: keys absent from an update are kept either way; a key
// sent as null is answered as null by default and left out with
// MergeOnUpdate.
func TestMergeOnUpdate(t *testing.T) {
	for _, merge := range []bool{false, true} {
		s := newServer(t, Options{MergeOnUpdate: merge})
		it := send(t, s, "POST", "acme", "/ws/types/clients/items", map[string]any{"data": map[string]any{"name": "A", "city": "Recife"}})
		path := "/ws/types/clients/items/" + itoa(num(it["id"]))
		it = send(t, s, "PUT", "acme", path, map[string]any{"data": map[string]any{"name": "B"}})
		if data := it["data"].(map[string]any); data["city"] != "Recife" || data["name"] != "B" {
			t.Errorf("merge %v: absent key not kept: %v", merge, data)
		}
		it = send(t, s, "PUT", "acme", path, map[string]any{"data": map[string]any{"city": nil}})
		data := it["data"].(map[string]any)
		v, has := data["city"]
		switch {
		case merge && has:
			t.Errorf("MergeOnUpdate: city sent as null still answered: %v", data)
		case !merge && (!has || v != nil):
			t.Errorf("default: city sent as null answered %v (present %v), want null", v, has)
		}
		if data["name"] != "B" {
			t.Errorf("merge %v: name lost: %v", merge, data)
		}
	}
}
