package diff

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShortValue(t *testing.T) {
	obj := map[string]any{
		"action": "read", "entity": "contracts", "id": num("31"),
		"rules": map[string]any{"own": true}, "tags": []any{}, "note": strings.Repeat("n", 50),
	}
	list := []any{}
	for range 40 {
		list = append(list, "abc")
	}
	tests := []struct {
		name string
		v    any
		max  int
		want string
	}{
		{"null", nil, 60, "null"},
		{"bool", true, 60, "true"},
		{"number as stored", num("1.50"), 60, "1.50"},
		{"short string", "São Paulo", 60, `"São Paulo"`},
		{"long string cut", "abcdefghijklmnopqrstuvwxyz", 20, `"abcdefghijklmnopqrs…"`},
		{"unicode cut by character", strings.Repeat("ção", 10), 20, `"çãoçãoçãoçãoçãoçãoç…"`},
		{"emoji kept whole", strings.Repeat("📄", 30), 20, `"` + strings.Repeat("📄", 19) + `…"`},
		{"newline escaped", "a\nb", 60, `"a\nb"`},
		{"small object as json", map[string]any{"b": num("1"), "a": "x"}, 60, `{"a":"x","b":1}`},
		{"html not escaped", map[string]any{"a": "<b>&"}, 60, `{"a":"<b>&"}`},
		{"large object summarised", obj, 60, `{action: "read", entity: "contracts", id: 31, … 6 keys}`},
		{"nested shown as braces", map[string]any{"a": map[string]any{"x": strings.Repeat("y", 80)}, "b": []any{}}, 30,
			`{a: {…}, b: []}`},
		{"long list summarised", list, 40, `["abc", "abc", "abc", "abc", … 40 items]`},
		{"nothing fits", map[string]any{strings.Repeat("k", 40): num("1")}, 20, `{… 1 key}`},
		{"tiny max raised", "abcdefghijklmnopqrstuvwxyz", 1, `"abcdefghijklmno…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shortValue(tt.v, tt.max)
			if got != tt.want {
				t.Errorf("shortValue = %s, want %s", got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("shortValue = %q is not valid UTF-8", got)
			}
		})
	}
}

func TestWriteTextOptions(t *testing.T) {
	r, err := Compute(pairs(Pair{Kind: "items", Parent: "clients", Key: "1011",
		Old: []byte(`{"data":{"a":1,"b":2,"c":3,"name":"Acme"}}`),
		New: []byte(`{"data":{"a":10,"b":20,"c":30,"name":"Acme"}}`)}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts TextOptions
		want string
	}{
		{"all", TextOptions{MaxFields: -1}, `items: 1 changed

items:
  type clients:
    ~ item clients/1011 "Acme"
        data.a: 1 -> 10
        data.b: 2 -> 20
        data.c: 3 -> 30
`},
		{"two fields", TextOptions{MaxFields: 2}, `items: 1 changed

items:
  type clients:
    ~ item clients/1011 "Acme"
        data.a: 1 -> 10
        data.b: 2 -> 20
        … 1 more field change
`},
		{"stat", TextOptions{Stat: true}, "items: 1 changed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, r, tt.opts); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteErrors(t *testing.T) {
	r, err := Compute(pairs(Pair{Kind: "types", Key: "a", New: []byte(`{}`)}))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteText(failWriter{}, r, TextOptions{}); !errors.Is(err, errWrite) {
		t.Errorf("WriteText err = %v, want %v", err, errWrite)
	}
	if err := WriteJSON(failWriter{}, r); !errors.Is(err, errWrite) {
		t.Errorf("WriteJSON err = %v, want %v", err, errWrite)
	}
}

func TestWriteJSONZeroResult(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &Result{}); err != nil {
		t.Fatal(err)
	}
	want := `{
  "summary": {},
  "changes": [],
  "noise": {},
  "unknown": {}
}
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
