package selector

import (
	"errors"
	"testing"
)

func TestParseAndMatch(t *testing.T) {
	type obj struct {
		kind, parent, key, raw string
		want                   bool
	}
	cases := []struct {
		text string
		objs []obj
	}{
		{"type:contracts", []obj{
			{"types", "", "contracts", `{}`, true},
			{"fields", "contracts", "11", `{}`, true},
			{"items", "contracts", "1001", `{}`, true},
			{"items", "clients", "1", `{}`, false},
			{"types", "", "clients", `{}`, false},
		}},
		{"item:contracts/1001", []obj{
			{"items", "contracts", "1001", `{}`, true},
			{"items", "contracts", "1002", `{}`, false},
			{"items", "invoices", "1001", `{}`, false},
		}},
		{"field:contracts/client", []obj{
			{"fields", "contracts", "11", `{"slug":"client"}`, true},
			{"fields", "contracts", "12", `{"slug":"value"}`, false},
			{"fields", "clients", "13", `{"slug":"client"}`, false},
		}},
		{"member:Ana@acme.com", []obj{{"members", "", "12", `{"email":"ana@acme.com"}`, true}}},
		{"role:analyst", []obj{{"roles", "", "5", `{"slug":"analyst"}`, true}, {"roles", "", "6", `{"slug":"Analyst"}`, false}}},
		{"group:Finance", []obj{{"groups", "", "300", `{"name":"Finance"}`, true}}},
		{"integration:75", []obj{{"integrations", "", "75", `{}`, true}}},
		{"quick-task:4", []obj{{"quick-tasks", "", "4", `{}`, true}}},
		{"members", []obj{{"members", "", "1", `{}`, true}, {"roles", "", "1", `{}`, false}}},
	}
	for _, c := range cases {
		s, err := Parse(c.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.text, err)
			continue
		}
		for _, o := range c.objs {
			if got := s.Match(o.kind, o.parent, o.key, []byte(o.raw)); got != o.want {
				t.Errorf("%q.Match(%s %s/%s %s) = %v, want %v", c.text, o.kind, o.parent, o.key, o.raw, got, o.want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{"", "widgets", "member", "item:contracts", "item:/1", "item:contracts/", "bogus:1", "type:", "role:"} {
		if _, err := Parse(text); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", text, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"type:contracts", "item:a/1", "members", "field:x/y", "::", "item:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := Parse(text)
		if err != nil {
			return
		}
		if s.Kind == "" {
			t.Fatalf("Parse(%q) accepted a selector without a kind", text)
		}
		s.Match("items", "a", "1", []byte(text))
	})
}
