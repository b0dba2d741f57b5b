package jsonv

import (
	"encoding/json"
	"errors"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%q): %v", s, err)
	}
	return v
}

func TestDecode(t *testing.T) {
	v := mustDecode(t, `{"id":12345678901234567890123,"n":1.50,"l":[true,null,"x"]}`)
	m := v.(map[string]any)
	if got := m["id"]; got != json.Number("12345678901234567890123") {
		t.Errorf("big id decoded as %#v", got)
	}
	if got := m["n"]; got != json.Number("1.50") {
		t.Errorf("1.50 decoded as %#v", got)
	}
	for _, in := range []string{"", "  ", `{"a":`, `{} {}`, `{}x`, `[1,]`} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) error = %v, want ErrInvalid", in, err)
		}
	}
}

func TestNumberKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "1e1"}, {"1.0", "1e1"}, {"1e0", "1e1"}, {"10e-1", "1e1"}, {"0.1E1", "1e1"},
		{"-0", "0"}, {"0.000", "0"}, {"-0e5", "0"}, {"120", "12e3"}, {"-1.25", "-125e1"},
		{"9007199254740993", "9007199254740993e16"}, {"1e99999999999999999999", "1e99999999999999999999"},
	}
	for _, tt := range tests {
		if got := NumberKey(tt.in); got != tt.want {
			t.Errorf("NumberKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNumberKeyGroups(t *testing.T) {
	groups := [][]string{
		{"1", "1.0", "1e0", "10e-1", "0.1e1", "1.000E+0"},
		{"0", "-0", "0.0", "0e5", "-0.000e-3"},
		{"100", "1e2", "100.00", "0.001e5"},
		{"-2.5", "-25e-1", "-0.25E1"},
		{"0.001", "1e-3", "0.0010"},
		{"12345678901234567890"},
		{"12345678901234567891"},
		{"1e99999999999999999999"},
	}
	seen := map[string]int{}
	for i, g := range groups {
		for _, s := range g {
			c := NumberKey(s)
			if j, ok := seen[c]; ok && j != i {
				t.Errorf("NumberKey(%q) = %q, the form of group %d, not %d", s, c, j, i)
			}
			seen[c] = i
			if first := NumberKey(g[0]); c != first {
				t.Errorf("NumberKey(%q) = %q, want %q as for %q", s, c, first, g[0])
			}
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, true},
		{`{"a":1}`, `{"a":1.0}`, true},
		{`1e0`, `10E-1`, true},
		{`-0`, `0.0`, true},
		{`9007199254740993`, `9007199254740992`, false}, // equal as float64
		{`12345678901234567890`, `1.2345678901234567890e19`, true},
		{`[1,2]`, `[2,1]`, false},
		{`{"a":null}`, `{}`, true},
		{`{"a":null}`, `{"a":false}`, false},
		{`{"a":{"b":null}}`, `{"a":{}}`, true},
		{`{"a":null,"b":1}`, `{"b":2}`, false},
		{`"1"`, `1`, false},
		{`"\u00e9"`, `"é"`, true},
		{`true`, `"true"`, false},
		{`null`, `false`, false},
		{`[[1,{"x":[]}]]`, `[[1.0,{"x":[]}]]`, true},
		{`[[1,{"x":[]}]]`, `[[1,{"x":{}}]]`, false},
	}
	for _, tt := range tests {
		a, b := mustDecode(t, tt.a), mustDecode(t, tt.b)
		if got := Equal(a, b); got != tt.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Equal(b, a); got != tt.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
		if got := Key(a) == Key(b); got != tt.want {
			t.Errorf("Key(%s) = %s, Key(%s) = %s: equal %v, want %v", tt.a, Key(a), tt.b, Key(b), got, tt.want)
		}
	}
}

func TestEqualGoValues(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{json.Number("1.0"), float64(1), true},
		{json.Number("3"), 3, true},
		{int64(3), json.Number("3e0"), true},
		{0.1, json.Number("0.1"), true},
		{"\xff", "\xfe", false}, // both U+FFFD to encoding/json
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a"}, []any{"a"}, false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Key(tt.a) == Key(tt.b); got != tt.want {
			t.Errorf("Key(%#v) = %s, Key(%#v) = %s: equal %v, want %v", tt.a, Key(tt.a), tt.b, Key(tt.b), got, tt.want)
		}
	}
}

// FuzzEqual checks Equal against Key, symmetry, and that equal canonical
// forms (equal store hashes) are always Equal.
func FuzzEqual(f *testing.F) {
	for _, s := range [][2]string{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`}, {`1`, `1.0`}, {`1e0`, `10e-1`}, {`-0`, `0`},
		{`9007199254740993`, `9007199254740992`}, {`[1,[2,{"x":null}]]`, `[1,[2,{}]]`},
		{`"\u00e9"`, `"é"`}, {`{"a":1,"a":2}`, `{"a":2}`}, {`1e99999999999999999999`, `1E99999999999999999999`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, errA := Decode(x)
		b, errB := Decode(y)
		if errA != nil || errB != nil {
			return
		}
		eq := Equal(a, b)
		if eq != Equal(b, a) {
			t.Fatalf("Equal not symmetric for %q, %q", x, y)
		}
		if eq != (Key(a) == Key(b)) {
			t.Fatalf("Equal = %v but keys %q, %q", eq, Key(a), Key(b))
		}
		if !Equal(a, a) {
			t.Fatalf("%q not equal to itself", x)
		}
		ca, _ := Canonical(x)
		cb, _ := Canonical(y)
		if string(ca) == string(cb) && !eq {
			t.Fatalf("same canonical form %q but not Equal: %q, %q", ca, x, y)
		}
		if c := mustDecode(t, string(ca)); !Equal(a, c) {
			t.Fatalf("%q not Equal to its canonical form %q", x, ca)
		}
	})
}
