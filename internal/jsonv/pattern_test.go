package jsonv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	good := map[string]string{
		"a":                  "a",
		"data.*":             "a.*",
		"permissions[].id":   "a.[].a",
		"m[][]":              "a.[].[]",
		"a.[]":               "a.[]",
		"*":                  "*",
		"assignees.groups[]": "a.a.[]",
	}
	for in, shape := range good {
		p, err := ParsePattern(in)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", in, err)
			continue
		}
		var parts []string
		for _, s := range p.steps {
			parts = append(parts, [...]string{"a", "*", "[]"}[s.kind])
		}
		if got := strings.Join(parts, "."); got != shape {
			t.Errorf("ParsePattern(%q) steps %s, want %s", in, got, shape)
		}
		if p.String() != in {
			t.Errorf("String() = %q, want %q", p.String(), in)
		}
	}
	for _, in := range []string{"", "a..b", "[]", "a[0]", "a.b[", ".a", "a."} {
		if _, err := ParsePattern(in); !errors.Is(err, ErrBadPath) {
			t.Errorf("ParsePattern(%q) error = %v, want ErrBadPath", in, err)
		}
	}
}

func TestMatch(t *testing.T) {
	k := func(s string) Step { return Step{Key: s} }
	e := Step{Elem: true}
	tests := []struct {
		pattern      string
		path         []Step
		exact, under bool
	}{
		{"id", []Step{k("id")}, true, true},
		{"id", []Step{k("id"), k("x")}, false, true},
		{"id", []Step{k("ids")}, false, false},
		{"data.*", []Step{k("data"), k("city")}, true, true},
		{"data.*", []Step{k("data"), e}, false, false},
		{"permissions[].id", []Step{k("permissions"), e, k("id")}, true, true},
		{"permissions[].id", []Step{k("permissions"), k("0"), k("id")}, false, false},
		{"m[][]", []Step{k("m"), e, e, k("x")}, false, true},
		{"a.b", []Step{k("a")}, false, false},
	}
	for _, tt := range tests {
		p := MustPattern(tt.pattern)
		if got := p.Match(tt.path); got != tt.exact {
			t.Errorf("%s.Match(%v) = %v, want %v", tt.pattern, tt.path, got, tt.exact)
		}
		if got := p.MatchPrefix(tt.path); got != tt.under {
			t.Errorf("%s.MatchPrefix(%v) = %v, want %v", tt.pattern, tt.path, got, tt.under)
		}
	}
	if (Pattern{}).MatchPrefix(nil) {
		t.Error("the zero Pattern matched")
	}
}

func TestGet(t *testing.T) {
	v := mustDecode(t, `{"integration":{"slug":"sendgrid","id":4},"l":[{"a":1}],"n":null}`)
	tests := []struct {
		pattern string
		want    string
		ok      bool
	}{
		{"integration.slug", "sendgrid", true},
		{"integration.id", "4", true},
		{"n", "<nil>", true},
		{"integration.name", "<nil>", false},
		{"integration.slug.x", "<nil>", false},
		{"l[].a", "<nil>", false},
		{"integration.*", "<nil>", false},
	}
	for _, tt := range tests {
		got, ok := MustPattern(tt.pattern).Get(v)
		if fmt.Sprint(got) != tt.want || ok != tt.ok {
			t.Errorf("Get(%s) = %v, %v; want %s, %v", tt.pattern, got, ok, tt.want, tt.ok)
		}
	}
}

func TestVisit(t *testing.T) {
	tests := []struct {
		pattern, in, want string
		visited           []string
	}{
		{"stage", `{"stage":5,"x":1}`, `{"stage":"t5","x":1}`, []string{":5"}},
		{"assignees.members[]", `{"assignees":{"members":[1,2,3]}}`, `{"assignees":{"members":["t1","t3"]}}`, []string{":1", ":2", ":3"}},
		{"data.*", `{"data":{"b":2,"a":1,"c":"x"}}`, `{"data":{"a":"t1","b":null,"c":"tx"}}`, []string{"a:1", "b:2", "c:x"}},
		{"permissions[].entity", `{"permissions":[{"entity":"a"},{"x":1},3]}`, `{"permissions":[{"entity":"ta"},{"x":1},3]}`, []string{":a"}},
		{"m[][]", `{"m":[[1,2],[3],"s"]}`, `{"m":[["t1"],["t3"],"s"]}`, []string{":1", ":2", ":3"}},
		{"missing.x", `{"a":1}`, `{"a":1}`, nil},
		{"a[]", `{"a":{"b":1}}`, `{"a":{"b":1}}`, nil},
	}
	for _, tt := range tests {
		v := mustDecode(t, tt.in)
		var visited []string
		MustPattern(tt.pattern).Visit(v, func(key string, x any) (any, bool) {
			visited = append(visited, fmt.Sprintf("%s:%v", key, x))
			if fmt.Sprint(x) == "2" {
				return nil, false
			}
			return fmt.Sprintf("t%v", x), true
		})
		if got := Key(v); got != Key(mustDecode(t, tt.want)) {
			t.Errorf("Visit(%s, %s) gives %s, want %s", tt.pattern, tt.in, got, tt.want)
		}
		if fmt.Sprint(visited) != fmt.Sprint(tt.visited) {
			t.Errorf("Visit(%s, %s) visited %v, want %v", tt.pattern, tt.in, visited, tt.visited)
		}
	}
}

func TestDelete(t *testing.T) {
	tests := []struct{ pattern, in, want string }{
		{"id", `{"id":1,"a":2}`, `{"a":2}`},
		{"data.api_key", `{"data":{"api_key":"s","x":1}}`, `{"data":{"x":1}}`},
		{"data.api_key", `{"data":"s"}`, `{"data":"s"}`},
		{"missing.x", `{"a":1}`, `{"a":1}`},
		{"permissions[].id", `{"permissions":[{"id":1,"e":"a"},{"e":"b"},7]}`, `{"permissions":[{"e":"a"},{"e":"b"},7]}`},
		{"o.*.s", `{"o":{"a":{"s":1,"t":2},"b":{"s":3}}}`, `{"o":{"a":{"t":2},"b":{}}}`},
		{"l[]", `{"l":[1,2]}`, `{"l":[]}`},
	}
	for _, tt := range tests {
		v := mustDecode(t, tt.in)
		MustPattern(tt.pattern).Delete(v)
		if got := Key(v); got != Key(mustDecode(t, tt.want)) {
			t.Errorf("Delete(%s, %s) gives %s, want %s", tt.pattern, tt.in, got, tt.want)
		}
	}
}
