package doctor

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"/ws/types", []string{"/types", "/c-types", "/workspace-types", "/api/ws/types", "/v1/ws/types"}},
		{"/ws/types/{type}/items", []string{"/types/{type}/items", "/c-types/{type}/items", "/workspace-types/{type}/items",
			"/api/ws/types/{type}/items", "/v1/ws/types/{type}/items"}},
		{"/c-flows?type={type}", []string{"/flows?type={type}", "/ws/flows?type={type}", "/api/c-flows?type={type}", "/v1/c-flows?type={type}"}},
		{"/workspace-integrations", []string{"/ws/workspace-integrations", "/c-workspace-integrations",
			"/api/workspace-integrations", "/v1/workspace-integrations"}},
	}
	for _, tt := range tests {
		if got := candidates(tt.path); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("candidates(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCountShape(t *testing.T) {
	tests := []struct {
		body, verdict, shape string
	}{
		{`{"count": 3}`, VerdictOK, `{"count": 3}`},
		{`{"total":7}`, VerdictHandled, `{"total": 7} instead of {"count": N}`},
		{`12`, VerdictHandled, `a bare number (12) instead of {"count": N}`},
		{`{"count": -1}`, VerdictError, `unreadable count: {"count": -1}`},
		{`<html>`, VerdictError, `unreadable count: <html>`},
	}
	for _, tt := range tests {
		v, s := countShape([]byte(tt.body))
		if v != tt.verdict || s != tt.shape {
			t.Errorf("countShape(%s): got %q %q, want %q %q", tt.body, v, s, tt.verdict, tt.shape)
		}
	}
}

func TestDecodePageShapes(t *testing.T) {
	tests := []struct {
		body, shape string
		n           int
		envelope    bool
	}{
		{`[{"id":1},{"id":2}]`, "bare array", 2, false},
		{`{"data":[{"id":1}],"total":9}`, `envelope {"data": [...]} with a total`, 1, true},
		{`{"items":[],"meta":{"total":0}}`, `envelope {"items": [...]} with a total`, 0, true},
		{`{"results":[{"id":"a"}]}`, `envelope {"results": [...]}`, 1, true},
	}
	for _, tt := range tests {
		d, err := decodePage([]byte(tt.body))
		if err != nil {
			t.Fatalf("decodePage(%s): %v", tt.body, err)
		}
		if d.shape != tt.shape || len(d.objs) != tt.n || d.envelope != tt.envelope {
			t.Errorf("decodePage(%s): got %q %d %v, want %q %d %v", tt.body, d.shape, len(d.objs), d.envelope, tt.shape, tt.n, tt.envelope)
		}
	}
	if _, err := decodePage([]byte(`{"nothing": 1}`)); err == nil {
		t.Error("decodePage of an object without a list: got no error")
	}
}

func TestIDTypeAndUnknownFields(t *testing.T) {
	objs := func(s string) []map[string]json.RawMessage {
		var out []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := idType(objs(`[{"id": 7}]`)); got != "integer" {
		t.Errorf("idType: got %q, want integer", got)
	}
	if got := idType(objs(`[{"id": "x7"}]`)); got != "string" {
		t.Errorf("idType: got %q, want string", got)
	}
	got := unknownFields("types", objs(`[{"id":1,"name":"A","slug":"a","tenant":1},{"id":2,"archived":true,"user":{}}]`))
	if want := []string{"archived", "tenant"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("unknownFields: got %v, want %v", got, want)
	}
}

func TestKeyVerdict(t *testing.T) {
	key := func(desc string, scopes []string, ws ...string) apiKey {
		k := apiKey{Description: desc, Reference: "REF" + desc}
		k.Scope.Global, k.Scope.Workspaces = scopes, ws
		return k
	}
	all := []string{"read", "write", "delete"}
	tests := []struct {
		name    string
		keys    []apiKey
		verdict string
		detail  string
	}{
		{"one writer", []apiKey{key("a", all)}, VerdictOK, "can write: restore and replicate into acme are possible"},
		{"read only", []apiKey{key("a", []string{"read"})}, VerdictOK, "read-only"},
		{"no read", []apiKey{key("a", []string{"write"})}, ForbiddenScope("read"), "scopes write"},
		{"other workspace", []apiKey{key("a", all, "beta")}, VerdictNoWorkspace, "workspaces beta; not acme"},
		{"several", []apiKey{key("a", all), key("b", []string{"read"}), key("c", all, "beta")}, VerdictOK,
			`3 keys listed: the key in use cannot be identified (the list shows no secrets); keys that can write in acme: "a" (reference REFa) write+delete`},
		{"none", nil, VerdictOK, "empty"},
	}
	for _, tt := range tests {
		_, v, d := keyVerdict(tt.keys, "acme")
		if v != tt.verdict || !strings.Contains(d, tt.detail) {
			t.Errorf("%s: got %q %q, want %q containing %q", tt.name, v, d, tt.verdict, tt.detail)
		}
	}
}

func TestOverrideYAML(t *testing.T) {
	got := OverrideYAML([]Override{
		{Environment: "prod", Route: "items.list", Path: "/c-types/{type}/items"},
		{Environment: "prod", Route: "roles.list", Default: "/ws/roles"},
		{Environment: "stage", Route: "types.list", Path: "/c-types"},
	})
	want := "environments:\n  prod:\n    routes:\n      items.list: /c-types/{type}/items\n" +
		"      roles.list: /ws/roles  # answers 404: put your server's path here\n" +
		"  stage:\n    routes:\n      types.list: /c-types\n"
	if got != want {
		t.Errorf("OverrideYAML:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzDecodePage feeds list answers from an untrusted server: decodePage
// and countShape must never panic, and a decoded page's shape is named.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{`[]`, `[{"id":1}]`, `{"data":[{"id":1}],"total":1}`, `{"items":null}`, `{"count":3}`, `<html>`, `[1,2]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodePage(body)
		if err == nil && d.shape == "" {
			t.Errorf("decodePage(%q): no shape", body)
		}
		countShape(body)
	})
}
