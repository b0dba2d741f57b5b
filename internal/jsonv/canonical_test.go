package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{" {\n\t\"a\" : [ 1 , 2 ] }\r\n", `{"a":[1,2]}`},
		{`{"n":1.0,"e":1E+2,"z":-0,"big":123456789012345678901234567890}`, `{"big":123456789012345678901234567890,"e":1E+2,"n":1.0,"z":-0}`},
		{`{"h":"<a href=\"x\">&amp;</a>"}`, `{"h":"<a href=\"x\">&amp;</a>"}`},
		{`{"u":"\u00e9t\u00e9 ☃","c":"\u0001\t"}`, `{"c":"\u0001\t","u":"été ☃"}`},
		{`{"o":{"y":{"b":null,"a":true},"x":[{"d":1,"c":2}]}}`, `{"o":{"x":[{"c":2,"d":1}],"y":{"a":true,"b":null}}}`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`"text"`, `"text"`},
		{` 42 `, `42`},
		{`[]`, `[]`},
		{`{"é":1,"e":2,"E":3}`, `{"E":3,"e":2,"é":1}`},
		{`{"\u0062":1,"a":"\/\u0041\ud83d\ude00\ud800x"}`, "{\"a\":\"/A😀\ufffdx\",\"b\":1}"},
		{strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
	}
	for _, tt := range tests {
		got, err := Canonical([]byte(tt.in))
		if err != nil {
			t.Errorf("Canonical(%q): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("Canonical(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "{", `{"a":1}x`, `{} {}`, `[1,]`, `{"a":01}`, `nul`, "{\"a\":\"\x00\"}", strings.Repeat("[", 10001) + strings.Repeat("]", 10001)} {
		_, err := Canonical([]byte(in))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Canonical(%.20q) error = %v, want ErrInvalid", in, err)
		}
	}
}

// referenceCanonical is the canonical form by encoding/json: decode with
// UseNumber, encode with sorted map keys and no HTML escaping. Canonical
// must agree with it byte for byte.
func referenceCanonical(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1,2,{"d":null,"c":"x"}]}`, `1.50`, `"\u2028<>&"`, `{"a":1,"a":2}`, "{\"k\":\"\xff\"}", `{} x`, ``, `[[[]]]`, `-0.0e-0`,
		`{"\ud800":1,"\ud83d\ude00":2,"\u00e9":3,"é":4,"\/":[true,false,null]}`, `"\ud83d\u0041 \b\f\n\r\t\u0001\u007f"`, `{"b":{"y":1,"x":2},"a":{"d":[{"f":1,"e":2}],"c":0}}`,
		"\"\u2029\xe2\x80\xa8\xed\xa0\x80\"", `{"a":1,"b":2,"a":3,"b":4,"c":5}`, `{"z":1 , "y" : 2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Canonical(in)
		if valid := json.Valid(in); valid != (err == nil) {
			t.Fatalf("json.Valid = %v but Canonical error = %v", valid, err)
		}
		if err != nil {
			return
		}
		if ref, err := referenceCanonical(in); err != nil || !bytes.Equal(c, ref) {
			t.Fatalf("Canonical = %q, encoding/json gives %q (%v)", c, ref, err)
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q is not valid JSON", c)
		}
		c2, err := Canonical(c)
		if err != nil {
			t.Fatalf("Canonical of canonical %q: %v", c, err)
		}
		if !bytes.Equal(c, c2) {
			t.Fatalf("not idempotent: %q then %q", c, c2)
		}
		// Appending to a buffer that already holds bytes, reused.
		buf := append(make([]byte, 0, 4), "pre"...)
		for range 2 {
			a, err := AppendCanonical(buf, in)
			if err != nil || string(a) != "pre"+string(c) {
				t.Fatalf("AppendCanonical = %q, %v; want %q", a, err, "pre"+string(c))
			}
			buf = a[:3]
		}
	})
}

// TestCanonicalMemberCounts sorts objects on both sides of the size where
// the member sort changes method, keys reversed and repeated (the last of
// equal keys wins).
func TestCanonicalMemberCounts(t *testing.T) {
	for _, n := range []int{2, 15, 16, 17, 40} {
		var b bytes.Buffer
		b.WriteByte('{')
		for i := n - 1; i >= 0; i-- {
			fmt.Fprintf(&b, `"k%02d":%d,"k%02d":%d,`, i%7, i, i, -i)
		}
		b.WriteString(`"z":0}`)
		got, err := Canonical(b.Bytes())
		want, rerr := referenceCanonical(b.Bytes())
		if err != nil || rerr != nil || !bytes.Equal(got, want) {
			t.Errorf("%d members: Canonical = %s, %v; encoding/json gives %s, %v", 2*n+1, got, err, want, rerr)
		}
	}
}

// FuzzAppendValue: a Canonicalizer reading values one after another
// writes for each what Canonical writes for that value alone, and reads
// exactly the value: what follows it is left as it was.
func FuzzAppendValue(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":2} ,{"c":3}`, `1.50]`, `"x"  "y"`, `[1,{"z":null,"y":[]}]x`, ` null`, `{"a":`, ``} {
		f.Add([]byte(s))
	}
	var z Canonicalizer
	f.Fuzz(func(t *testing.T, in []byte) {
		got, end, err := z.AppendValue([]byte("prefix"), in)
		if err != nil {
			return
		}
		if end <= 0 || end > len(in) {
			t.Fatalf("AppendValue(%q) read %d bytes", in, end)
		}
		want, err := Canonical(in[:end])
		if err != nil {
			t.Fatalf("AppendValue(%q) read %q, which Canonical refuses: %v", in, in[:end], err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("AppendValue(%q) = %q, Canonical gives %q", in, got, want)
		}
		if end < len(in) && Valid(in[:end+1]) && in[end] != ' ' && in[end] != '\t' && in[end] != '\n' && in[end] != '\r' {
			t.Fatalf("AppendValue(%q) stopped at %d, inside a longer value", in, end)
		}
	})
}

// TestCanonicalizerMember: the outermost object's members as read, the
// last of duplicates, keys unescaped; nested members are not top-level.
func TestCanonicalizerMember(t *testing.T) {
	var z Canonicalizer
	in := []byte(`{"id" : 12 ,"n":{"slug":"x"},"slug":"a","sl\u0075g":"b\n", "e":[{"id":3}]} ,{"id":4}`)
	if _, _, err := z.AppendValue(nil, in); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{"id", "12", true}, {"slug", `"b\n"`, true}, {"n", `{"slug":"x"}`, true}, {"x", "", false}} {
		got, ok := z.Member(c.name)
		if string(got) != c.want || ok != c.ok {
			t.Errorf("Member(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	z.Reset()
	if got, ok := z.Member("id"); ok {
		t.Errorf("after Reset, Member(id) = %q, want none", got)
	}
	if _, _, err := z.AppendValue(nil, []byte(`[{"id":1}]`)); err != nil {
		t.Fatal(err)
	}
	if got, ok := z.Member("id"); ok {
		t.Errorf("after a list, Member(id) = %q, want none", got)
	}
}

// TestPlainEnd compares plainEnd, which reads eight bytes a step, with a
// byte-at-a-time reading of the same table, at every offset of strings
// that put each byte value at each position of a word.
func TestPlainEnd(t *testing.T) {
	slow := func(b []byte, i int) int {
		for i < len(b) && plain[b[i]] {
			i++
		}
		return i
	}
	for v := range 256 {
		for pos := range 20 {
			b := bytes.Repeat([]byte("a"), 20)
			b[pos] = byte(v)
			if pos+1 < len(b) {
				b[pos+1] = '"' // a second stop just after, to catch a borrow
			}
			for i := range len(b) + 1 {
				if got, want := plainEnd(b, i), slow(b, i); got != want {
					t.Fatalf("byte %#x at %d, from %d: plainEnd %d, want %d", v, pos, i, got, want)
				}
			}
		}
	}
}

// FuzzAppendValueFastPath compares AppendValue, which appends a value
// that is already canonical as it is, with the path that canonicalises
// every value: the same output, the same end, the same outermost members
// (Member of every key either path saw, and of a key neither saw).
func FuzzAppendValueFastPath(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[2,{"c":"é"}]},{"d":4}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `"x\u2028"`, "\"\xff\"]",
		`{"created_at":"2024-07-29T09:46:10.406Z","data":{"city":"São Paulo"},"id":1061,"type":"clients"}`, `[1,2] `, `{"a" :1}`, `-0.0e+1,`} {
		f.Add([]byte(s))
	}
	var fast, slow Canonicalizer
	f.Fuzz(func(t *testing.T, in []byte) {
		fast.skip = 0 // check every value
		got, gotEnd, gotErr := fast.AppendValue([]byte("pre"), in)
		want, wantEnd, wantErr := slow.appendValue([]byte("pre"), in)
		if (gotErr == nil) != (wantErr == nil) || gotErr == nil && (!bytes.Equal(got, want) || gotEnd != wantEnd) {
			t.Fatalf("AppendValue(%q) = %q, %d, %v; canonicalised: %q, %d, %v", in, got, gotEnd, gotErr, want, wantEnd, wantErr)
		}
		if gotErr != nil {
			return
		}
		names := []string{"\x00none"}
		for _, m := range append(append([]topMember(nil), fast.top...), slow.top...) {
			names = append(names, string(m.key))
		}
		for _, name := range names {
			g, gok := fast.Member(name)
			w, wok := slow.Member(name)
			if gok != wok || !bytes.Equal(g, w) {
				t.Fatalf("%q: Member(%q) = %q, %v; canonicalised: %q, %v", in, name, g, gok, w, wok)
			}
		}
	})
}

// TestAppendValueCheckEvery: after a value that is not canonical, the
// next checkEvery-1 are canonicalised without the check and the one after
// is checked again; a value that passes the check takes the fast path and
// leaves the next one checked too; whichever path a value takes, its
// output is its canonical form. The values are canonical but for one in
// seven, so that checks land on values of both kinds (with a value of each
// kind in turn, every checked value, checkEvery being even, was one that
// is not canonical, and a fast path never taken passed the test).
func TestAppendValueCheckEvery(t *testing.T) {
	var z Canonicalizer
	values := []string{`{"b":1,"a":2}`}
	for i := range 4 * checkEvery {
		if i%7 == 3 {
			values = append(values, fmt.Sprintf(`{"b":%d, "a":1}`, i))
		} else {
			values = append(values, fmt.Sprintf(`{"a":%d,"b":"é"}`, i))
		}
	}
	var passed, failed, skipped int
	for i, v := range values {
		skip := z.skip
		got, end, err := z.AppendValue(nil, []byte(v))
		want, _ := Canonical([]byte(v))
		if err != nil || end != len(v) || !bytes.Equal(got, want) {
			t.Fatalf("value %d %s: %q, %d, %v; want %q", i, v, got, end, err, want)
		}
		switch canonical := bytes.Equal(want, []byte(v)); {
		case skip > 0:
			skipped++
			if z.skip != skip-1 {
				t.Fatalf("value %d: skip %d then %d, want %d", i, skip, z.skip, skip-1)
			}
		case canonical:
			passed++
			if z.skip != 0 {
				t.Fatalf("value %d, canonical and checked: skip %d, want 0 (the fast path not taken)", i, z.skip)
			}
		default:
			failed++
			if z.skip != checkEvery-1 {
				t.Fatalf("value %d, not canonical: skip %d, want %d", i, z.skip, checkEvery-1)
			}
		}
	}
	if passed == 0 || failed < 2 || skipped == 0 {
		t.Fatalf("checked and passed %d, checked and failed %d, not checked %d: each path wanted", passed, failed, skipped)
	}
}

// TestAppendValueFastPathCases: the spellings that the check must pass
// as they are or hand to canonicalising (numbers as written, escapes,
// UTF-8 outside ASCII, invalid UTF-8, U+2028, duplicate and byte-ordered
// keys, whitespace, data after the value) give the same output, end and
// error either way.
func TestAppendValueFastPathCases(t *testing.T) {
	var fast, slow Canonicalizer
	for _, s := range []string{`1.0`, `1e2`, `-0`, `-0.0e+1`, `123456789012345678901234567890`, `01`, `-01`, `1.`, `+1`,
		`"\u00e9"`, `"é"`, `"\/"`, `"/"`, "\"\x7f\"", "\"\x01\"", `"\ud83d\ude00"`, `"😀"`, "\"\xed\xa0\x80\"", "\"\xc3\"", "\"\xc3",
		"\"\u2028\"", "\"\u2029\"", "\"\ufeff\"", "\"\uffff\"", "\"\U0010ffff\"", "\"\xf4\x90\x80\x80\"", "\"\xc0\xaf\"",
		`{"a":1,"a":1}`, `{"a":1,"a":2}`, "{\"\uffff\":1,\"\U0001F600\":2}", "{\"\U0001F600\":1,\"\uffff\":2}",
		`{"a":1,"b":2} `, ` {"a":1}`, `{"a":{},"b":[]}`, `{}`, `[]`, `[[],[{}]]`, `{"a":[{"b":1,"a":2}]}`,
		`{"a":1}x`, `{"a":1},{"b":2}`, `{"":1,"a":2}`, `{"a":"x\"y"}`, `{"a\u0000":1}`, `{"a":1,"ab":2,"b":3}`,
		`true`, `null`, `nul`, `"`, `{`, `{"a"}`, `{"a":}`, `[1,]`} {
		fast.skip = 0
		got, gotEnd, gotErr := fast.AppendValue(nil, []byte(s))
		want, wantEnd, wantErr := slow.appendValue(nil, []byte(s))
		if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) || gotEnd != wantEnd {
			t.Errorf("AppendValue(%q) = %q, %d, %v; canonicalised: %q, %d, %v", s, got, gotEnd, gotErr, want, wantEnd, wantErr)
		}
	}
}
