package diff

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var serverAssigned = []string{"id", "created_at", "updated_at", "user"}

// roleKind is the role kind as the kind table describes it, with its
// permissions compared as a set.
var roleKind = KindInfo{
	Name: "roles", Label: "role", Order: 10,
	LabelFields:    []string{"name", "slug"},
	ServerAssigned: append(append([]string{}, serverAssigned...), "permissions[].id"),
	Unordered:      []string{"permissions"},
}

var itemKind = KindInfo{
	Name: "items", Label: "item", Parent: "types", Order: 4,
	LabelFields:    []string{"data.name", "data.title", "data.number", "id"},
	ServerAssigned: serverAssigned,
}

func num(s string) json.Number { return json.Number(s) }

func TestFields(t *testing.T) {
	groupKind := KindInfo{Name: "groups", ServerAssigned: serverAssigned, Unordered: []string{"users"}}
	stageKind := KindInfo{Name: "stages", ServerAssigned: serverAssigned, Unordered: []string{"tasks", "tasks[].assignees.*"}}
	fieldKind := KindInfo{Name: "fields", ServerAssigned: serverAssigned}
	tests := []struct {
		name      string
		kind      KindInfo
		old, new  string
		want      []FieldChange
		wantNoise bool
	}{
		{name: "identical", kind: itemKind,
			old: `{"id":1,"data":{"a":1}}`, new: `{"id":1,"data":{"a":1}}`},
		{name: "member order and spacing", kind: itemKind,
			old: `{"id":1,"data":{"a":1,"b":[1,2]}}`, new: `{ "data": {"b": [1, 2], "a": 1}, "id": 1 }`},
		{name: "number spellings", kind: itemKind,
			old: `{"data":{"a":1,"b":100,"c":1.5,"d":-0,"e":0.001}}`,
			new: `{"data":{"a":1.0,"b":1e2,"c":1.50,"d":0,"e":1E-3}}`},
		{name: "big integers compare exactly", kind: itemKind,
			old: `{"data":{"n":12345678901234567890}}`, new: `{"data":{"n":12345678901234567891}}`,
			want: []FieldChange{{Path: "data.n", Op: Changed, Old: num("12345678901234567890"), New: num("12345678901234567891")}}},
		{name: "updated_at alone is noise", kind: itemKind,
			old:       `{"id":1,"data":{"a":1},"updated_at":"2024-01-01T00:00:00.000Z"}`,
			new:       `{"id":1,"data":{"a":1},"updated_at":"2025-01-01T00:00:00.000Z"}`,
			wantNoise: true},
		{name: "inside a server-assigned member is noise", kind: itemKind,
			old: `{"user":{"id":9,"meta":{"fname":"Ana"}}}`, new: `{"user":{"id":9,"meta":{"fname":"Anna"}}}`,
			wantNoise: true},
		{name: "server-assigned member appearing is noise", kind: itemKind,
			old: `{"data":{}}`, new: `{"data":{},"created_at":"2024-01-01T00:00:00.000Z"}`,
			wantNoise: true},
		{name: "real change hides server noise", kind: itemKind,
			old: `{"data":{"city":"São Paulo"},"updated_at":"1"}`, new: `{"data":{"city":"Campinas"},"updated_at":"2"}`,
			want: []FieldChange{{Path: "data.city", Op: Changed, Old: "São Paulo", New: "Campinas"}}},
		{name: "null and absent are the same value", kind: itemKind,
			old: `{"data":{"a":null,"b":1}}`, new: `{"data":{"b":1,"c":null}}`},
		{name: "added and removed beside null and absent", kind: itemKind,
			old: `{"data":{"a":null,"b":1,"d":{"e":null}}}`, new: `{"data":{"c":null,"d":{},"f":2}}`,
			want: []FieldChange{
				{Path: "data.b", Op: Removed, Old: num("1")},
				{Path: "data.f", Op: Added, New: num("2")},
			}},
		{name: "null to value", kind: itemKind,
			old: `{"data":{"due":null}}`, new: `{"data":{"due":"2026-12-01"}}`,
			want: []FieldChange{{Path: "data.due", Op: Changed, Old: nil, New: "2026-12-01"}}},
		{name: "type change", kind: itemKind,
			old: `{"data":{"v":"1"}}`, new: `{"data":{"v":1}}`,
			want: []FieldChange{{Path: "data.v", Op: Changed, Old: "1", New: num("1")}}},
		{name: "object replaced by list", kind: itemKind,
			old: `{"data":{"v":{"a":1}}}`, new: `{"data":{"v":[1]}}`,
			want: []FieldChange{{Path: "data.v", Op: Changed, Old: map[string]any{"a": num("1")}, New: []any{num("1")}}}},
		{name: "nested paths in name order", kind: fieldKind,
			old: `{"options":{"type":"clients","multiple":false},"name":"Client"}`,
			new: `{"options":{"type":"invoices","multiple":true},"name":"Client"}`,
			want: []FieldChange{
				{Path: "options.multiple", Op: Changed, Old: false, New: true},
				{Path: "options.type", Op: Changed, Old: "clients", New: "invoices"},
			}},
		{name: "member names that are not words are quoted", kind: itemKind,
			old: `{"data":{"a.b":1,"São Paulo":1,"":1}}`, new: `{"data":{"a.b":2,"São Paulo":2,"":2}}`,
			want: []FieldChange{
				{Path: `data[""]`, Op: Changed, Old: num("1"), New: num("2")},
				{Path: `data["São Paulo"]`, Op: Changed, Old: num("1"), New: num("2")},
				{Path: `data["a.b"]`, Op: Changed, Old: num("1"), New: num("2")},
			}},
		{name: "ordered list insertion", kind: fieldKind,
			old:  `{"options":{"choices":["draft","active","expired"]}}`,
			new:  `{"options":{"choices":["draft","pending","active","expired"]}}`,
			want: []FieldChange{{Path: "options.choices[1]", Op: Added, New: "pending"}}},
		{name: "ordered list removal at the front", kind: fieldKind,
			old:  `{"options":{"choices":["draft","active","expired"]}}`,
			new:  `{"options":{"choices":["active","expired"]}}`,
			want: []FieldChange{{Path: "options.choices[0]", Op: Removed, Old: "draft"}}},
		{name: "ordered list order matters", kind: fieldKind,
			old: `{"options":{"choices":["a","b"]}}`, new: `{"options":{"choices":["b","a"]}}`,
			want: []FieldChange{
				{Path: "options.choices[0]", Op: Changed, Old: "a", New: "b"},
				{Path: "options.choices[1]", Op: Changed, Old: "b", New: "a"},
			}},
		{name: "ordered list edit inside an element", kind: itemKind,
			old: `{"data":{"lines":[{"q":1},{"q":2},{"q":3}]}}`, new: `{"data":{"lines":[{"q":1},{"q":5},{"q":3},{"q":4}]}}`,
			want: []FieldChange{
				{Path: "data.lines[1].q", Op: Changed, Old: num("2"), New: num("5")},
				{Path: "data.lines[3]", Op: Added, New: map[string]any{"q": num("4")}},
			}},
		{name: "permissions in another order", kind: roleKind,
			old: `{"permissions":[{"id":31,"entity":"clients","action":"read","rules":{}},{"id":32,"entity":"contracts","action":"read","rules":{}}]}`,
			new: `{"permissions":[{"id":32,"entity":"contracts","action":"read","rules":{}},{"id":31,"entity":"clients","action":"read","rules":{}}]}`},
		{name: "permission ids renumbered is noise", kind: roleKind,
			old:       `{"permissions":[{"id":31,"entity":"clients","action":"read","rules":{}}]}`,
			new:       `{"permissions":[{"id":77,"entity":"clients","action":"read","rules":{}}]}`,
			wantNoise: true},
		{name: "permission added and removed", kind: roleKind,
			old: `{"permissions":[{"id":31,"entity":"clients","action":"read","rules":{}},{"id":32,"entity":"contracts","action":"read","rules":{}}]}`,
			new: `{"permissions":[{"id":32,"entity":"contracts","action":"read","rules":{}},{"id":41,"entity":"contracts","action":"update","rules":{}}]}`,
			want: []FieldChange{
				{Path: "permissions[action=read,entity=clients]", Op: Removed,
					Old: map[string]any{"id": num("31"), "entity": "clients", "action": "read", "rules": map[string]any{}}},
				{Path: "permissions[action=update,entity=contracts]", Op: Added,
					New: map[string]any{"id": num("41"), "entity": "contracts", "action": "update", "rules": map[string]any{}}},
			}},
		{name: "permission rules edited", kind: roleKind,
			old: `{"permissions":[{"id":31,"entity":"settings.members","action":"read","rules":{"own":false}}]}`,
			new: `{"permissions":[{"id":31,"entity":"settings.members","action":"read","rules":{"own":true}}]}`,
			want: []FieldChange{
				{Path: "permissions[action=read,entity=settings.members].rules.own", Op: Changed, Old: false, New: true},
			}},
		{name: "group users as a set", kind: groupKind,
			old: `{"users":[14,17,17]}`, new: `{"users":[17,15,14]}`,
			want: []FieldChange{
				{Path: "users[=15]", Op: Added, New: num("15")},
				{Path: "users[=17]", Op: Removed, Old: num("17")},
			}},
		{name: "strings and numbers differ in identities", kind: groupKind,
			old: `{"users":["14"]}`, new: `{"users":[14]}`,
			want: []FieldChange{
				{Path: `users[="14"]`, Op: Removed, Old: "14"},
				{Path: "users[=14]", Op: Added, New: num("14")},
			}},
		{name: "unordered objects with ids, nested unordered", kind: stageKind,
			old: `{"tasks":[{"id":50,"name":"Fill","assignees":{"roles":[6],"groups":[]}},{"id":51,"name":"Tell"}]}`,
			new: `{"tasks":[{"id":51,"name":"Tell"},{"id":50,"name":"Fill in","assignees":{"roles":[6],"groups":[300]}}]}`,
			want: []FieldChange{
				{Path: "tasks[id=50].assignees.groups[=300]", Op: Added, New: num("300")},
				{Path: "tasks[id=50].name", Op: Changed, Old: "Fill", New: "Fill in"},
			}},
		{name: "whole value not an object", kind: itemKind, old: `1`, new: `"1"`,
			want: []FieldChange{{Path: "", Op: Changed, Old: num("1"), New: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, noise, err := Fields(tt.kind, []byte(tt.old), []byte(tt.new))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if noise != tt.wantNoise {
				t.Errorf("noise only = %v, want %v", noise, tt.wantNoise)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	tests := []struct {
		name     string
		kind     KindInfo
		old, new string
		want     error
		wantText string
	}{
		{"invalid old", itemKind, `{"a":`, `{}`, ErrInvalidJSON, "old:"},
		{"invalid new", itemKind, `{}`, `{"a" 1}`, ErrInvalidJSON, "new:"},
		{"empty", itemKind, ``, `{}`, ErrInvalidJSON, "empty input"},
		{"data after the value", itemKind, `{}`, `{} {}`, ErrInvalidJSON, "data after the value"},
		{"bad server path", KindInfo{Name: "x", ServerAssigned: []string{"a..b"}}, `{}`, `{}`, ErrBadPath, "server-assigned"},
		{"bad unordered path", KindInfo{Name: "x", Unordered: []string{"a[0]"}}, `{}`, `{}`, ErrBadPath, "unordered"},
		{"list at the root", KindInfo{Name: "x", LabelFields: []string{"[]"}}, `{}`, `{}`, ErrBadPath, "label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Fields(tt.kind, []byte(tt.old), []byte(tt.new))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to say %q", err, tt.wantText)
			}
		})
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    path
		want string
	}{
		{nil, ""},
		{path{}.key("data").key("city"), "data.city"},
		{path{}.key("a.b").key("c"), `["a.b"].c`},
		{path{}.key("options").key("choices").index(2), "options.choices[2]"},
		{path{}.key("permissions").elem("action=read,entity=contracts").key("rules"), "permissions[action=read,entity=contracts].rules"},
		{path{}.key("data").key("naïve_ção-1"), "data.naïve_ção-1"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("path = %q, want %q", got, tt.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	c, err := compile(KindInfo{
		ServerAssigned: []string{"id", "permissions[].id", "data.*.updated_at", "matrix[][]"},
		Unordered:      []string{"assignees.members", "data.*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := path{}
	tests := []struct {
		p                   path
		server, isUnordered bool
	}{
		{p.key("id"), true, false},
		{p.key("id").key("x"), true, false},
		{p.key("ids"), false, false},
		{p.key("data").key("id"), false, true},
		{p.key("permissions").index(0).key("id"), true, false},
		{p.key("permissions").elem("=1").key("id"), true, false},
		{p.key("permissions").index(0).key("entity"), false, false},
		{p.key("permissions").key("id"), false, false},
		{p.key("data").key("x").key("updated_at"), true, false},
		{p.key("matrix").index(1).index(2), true, false},
		{p.key("matrix").index(1), false, false},
		{p.key("assignees").key("members"), false, true},
		{p.key("assignees").key("members").index(0), false, false},
	}
	for _, tt := range tests {
		if got := c.isServer(tt.p); got != tt.server {
			t.Errorf("isServer(%s) = %v, want %v", tt.p, got, tt.server)
		}
		if got := c.isUnordered(tt.p); got != tt.isUnordered {
			t.Errorf("isUnordered(%s) = %v, want %v", tt.p, got, tt.isUnordered)
		}
	}
}

// TestNullMemberIsAbsentInUnorderedLists: a member set to null and a
// missing member are one value (the contract's section 6), also inside
// the elements of a list compared as a set, where the elements are
// matched by an identity built from their members.
func TestNullMemberIsAbsentInUnorderedLists(t *testing.T) {
	cases := []struct{ name, old, new string }{
		{"null scalar member", `{"id":5,"name":"A","permissions":[{"id":31,"entity":"clients","action":"read","rules":null},{"id":32,"entity":"contracts","action":"read","rules":{}}]}`,
			`{"id":5,"name":"A","permissions":[{"id":31,"entity":"clients","action":"read"},{"id":32,"entity":"contracts","action":"read","rules":{}}]}`},
		{"null nested member", `{"id":5,"name":"A","permissions":[{"id":31,"entity":"clients","action":"read","rules":{"x":null}}]}`,
			`{"id":5,"name":"A","permissions":[{"id":31,"entity":"clients","action":"read","rules":{}}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changes, _, err := Fields(roleKind, []byte(c.old), []byte(c.new))
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 0 {
				t.Errorf("got %d changes (%+v); want none", len(changes), changes)
			}
		})
	}
	real := Kinds()["roles"]
	changes, _, err := Fields(real, []byte(`{"id":5,"name":"Analyst","slug":"analyst","permissions":[{"id":31,"entity":"contracts","action":"read","rules":null}]}`),
		[]byte(`{"id":5,"name":"Analyst","slug":"analyst","permissions":[{"id":31,"entity":"contracts","action":"read"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 0 {
		t.Errorf("the kind table's roles: %d changes (%+v) between rules:null and rules absent; want none", len(changes), changes)
	}
	// A value that is set still counts.
	changes, _, err = Fields(roleKind, []byte(`{"id":5,"permissions":[{"entity":"clients","action":"read","rules":null}]}`),
		[]byte(`{"id":5,"permissions":[{"entity":"clients","action":"read","rules":"own"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 {
		t.Error("rules null -> \"own\": no change; want one")
	}
}
