package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func TestKindTableIsConsistent(t *testing.T) {
	routes := DefaultRoutes()
	used := map[string]bool{}
	seen := map[string]int{}
	for i, k := range kind.All() {
		if _, dup := seen[k.Name]; dup {
			t.Errorf("kind %s declared twice", k.Name)
		}
		seen[k.Name] = i
		if k.Class == "" || k.Label == "" {
			t.Errorf("kind %s: class and label are required", k.Name)
		}
		for _, r := range []string{k.List, k.Count, k.Get, k.Create, k.Update, k.Delete} {
			if r == "" {
				continue
			}
			if _, ok := routes[r]; !ok {
				t.Errorf("kind %s: route %q is not in the route table", k.Name, r)
			}
			used[r] = true
		}
		if k.List == "" && !(k.Singleton && k.Get != "") {
			t.Errorf("kind %s: a kind needs a list route, or a get route when singleton", k.Name)
		}
		for _, s := range k.Subs {
			for _, r := range []string{s.List, s.Add, s.Remove} {
				if r == "" {
					continue
				}
				if _, ok := routes[r]; !ok {
					t.Errorf("kind %s sub %s: route %q is not in the route table", k.Name, s.Field, r)
				}
				used[r] = true
			}
		}
		if k.Parent != "" {
			pi, ok := seen[k.Parent]
			if !ok || pi >= i {
				t.Errorf("kind %s: parent %s must be declared before it", k.Name, k.Parent)
			}
			if k.ParentParam == "" || !strings.Contains(routes[k.List].Path, "{"+k.ParentParam+"}") {
				t.Errorf("kind %s: list route must use the parent placeholder {%s}", k.Name, k.ParentParam)
			}
		}
		for _, ref := range k.Refs {
			if _, err := kind.ByName(ref.Kind); err != nil {
				t.Errorf("kind %s: reference %s to unknown kind %s", k.Name, ref.Path, ref.Kind)
			}
			if ref.By != kind.ByID && ref.By != kind.ByKey {
				t.Errorf("kind %s: reference %s has no By", k.Name, ref.Path)
			}
		}
	}
	// Routes that no kind walks are the workspace-management and
	// alternative-view endpoints; everything else must belong to a kind.
	notWalked := map[string]bool{
		"workspaces.list": true, "workspaces.create": true, "workspace.deletion-preview": true,
		"workspace.leave": true, "workspace.delete": true, "forms.create-list": true,
	}
	for _, name := range routes.Names() {
		if !used[name] && !notWalked[name] {
			t.Errorf("route %s belongs to no kind", name)
		}
	}
}

func TestKindsCoverTheContract(t *testing.T) {
	want := []string{"workspace", "stats", "types", "fields", "items", "forms", "flows", "stages", "tasks",
		"schedule-tasks", "roles", "groups", "members", "quick-tasks", "integrations", "api-keys", "request-logs"}
	var got []string
	for _, k := range kind.All() {
		got = append(got, k.Name)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	integ, _ := kind.ByName("integrations")
	if strings.Join(integ.Secrets, ",") != "data.token,data.api_key" {
		t.Errorf("integration secrets = %v", integ.Secrets)
	}
	for _, name := range []string{"flows", "stages", "forms", "schedule-tasks"} {
		k, _ := kind.ByName(name)
		if k.Writable() {
			t.Errorf("%s must be read-only: the API cannot write it", name)
		}
	}
	for _, name := range []string{"api-keys", "request-logs", "stats"} {
		k, _ := kind.ByName(name)
		if k.Restorable() {
			t.Errorf("%s must never be restored", name)
		}
	}
}

func TestKindByName(t *testing.T) {
	for in, want := range map[string]string{"types": "types", "type": "types", "quick-task": "quick-tasks",
		"member group": "groups", "group": "groups", "items": "items"} {
		k, err := kind.ByName(in)
		if err != nil || k.Name != want {
			t.Errorf("kind.ByName(%q) = %v, %v; want %s", in, k, err, want)
		}
	}
	if _, err := kind.ByName("widgets"); err == nil || !strings.Contains(err.Error(), "known: workspace, stats, types") {
		t.Errorf("unknown kind error = %v", err)
	}
}

func TestNewObjectAndParentParams(t *testing.T) {
	types, _ := kind.ByName("types")
	o, err := NewObject(types, "", []byte(` {"id": 7, "slug": "contracts", "name": "Contracts"}`))
	if err != nil || o.ID != "7" || o.Key != "contracts" {
		t.Fatalf("NewObject type = %+v, %v", o, err)
	}
	items, _ := kind.ByName("items")
	p, err := ParentParams(items, o)
	if err != nil || p["type"] != "contracts" {
		t.Errorf("ParentParams(items) = %v, %v", p, err)
	}
	stages, _ := kind.ByName("stages")
	flow := Object{Kind: "flows", ID: "4", Key: "4"}
	if p, err := ParentParams(stages, flow); err != nil || p["flow"] != "4" {
		t.Errorf("ParentParams(stages) = %v, %v", p, err)
	}
	for _, bad := range []string{`[]`, `"x"`, `{"slug": "a"}`, `{"id": null, "slug": "a"}`, `{"id": 1}`, `{"id": {}, "slug": "a"}`, ``} {
		if _, err := NewObject(types, "", []byte(bad)); err == nil {
			t.Errorf("NewObject(%q) accepted a bad object", bad)
		}
	}
	ws, _ := kind.ByName("workspace")
	if o, err := NewObject(ws, "", []byte(`{"id": "ws-1", "slug": "acme"}`)); err != nil || o.ID != "ws-1" || o.Key != "acme" {
		t.Errorf("NewObject(workspace) = %+v, %v", o, err)
	}
}

func TestTopLevelAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{
		`{"id": 7, "slug": "contracts"}`,
		` { "slug" : "a\"b", "nested": {"id": 9, "x": [1, {"id": 3}]}, "id": "ws-1" } `,
		`{"s": "}]{[", "id": -1.5e3}`,
		`{"i\u0064": 5}`,
		`{}`,
		`{"id": null}`,
		`{"id": true, "slug": false}`,
		`{"id": 1, "id": 2}`,
	}
	for _, c := range cases {
		got, err := topLevel([]byte(c), "id", "slug")
		if err != nil {
			t.Fatalf("topLevel(%s): %v", c, err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"id", "slug"} {
			if string(got[i]) != string(want[name]) {
				t.Errorf("topLevel(%s)[%s] = %s, want %s", c, name, got[i], want[name])
			}
		}
	}
}

func FuzzTopLevel(f *testing.F) {
	for _, s := range []string{`{"id": 1}`, `{"a":{"id":2},"id":"x"}`, `{"id":[1,"]"]}`, `{"\u0069d": 3}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var want map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &want) != nil {
			return
		}
		got, err := topLevel([]byte(s), "id")
		if err != nil {
			t.Fatalf("topLevel(%q): %v", s, err)
		}
		if string(got[0]) != string(want["id"]) {
			t.Fatalf("topLevel(%q) = %s, want %s", s, got[0], want["id"])
		}
	})
}

// FuzzSplitObjects: the fast path of list decoding agrees with the
// element-by-element decoder on every body it accepts.
func FuzzSplitObjects(f *testing.F) {
	for _, s := range []string{`[]`, `[{"id":1},{"id":2}]`, ` [ {"a":"]"} , {"b":[1,{}]} ] `, `[{"id":1},2]`, `[{}] x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := splitObjects([]byte(s), false)
		if !ok {
			return
		}
		dec := json.NewDecoder(strings.NewReader(s))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			t.Fatalf("fast path accepted %q, which is not a list", s)
		}
		slow, err := decodeElements(dec, "")
		if err != nil {
			t.Fatalf("fast path accepted %q, the decoder refuses it: %v", s, err)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d elements, decoder %d", s, len(fast), len(slow))
		}
		for i := range fast {
			if string(fast[i]) != string(slow[i]) {
				t.Fatalf("%q element %d: %s, decoder %s", s, i, fast[i], slow[i])
			}
		}
	})
}
