package jsonv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// refAppendValue is Canonicalizer.appendValue on the reference
// canonicaliser (canonical_ref_test.go): the output, the end of the value
// and the outermost object's members as read.
func refAppendValue(dst, raw []byte) ([]byte, int, []topMember, error) {
	var top []topMember
	c := refCanon{in: raw, out: dst, top: &top}
	c.space()
	if c.pos == len(c.in) {
		return nil, 0, nil, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if err := c.value(); err != nil {
		return nil, 0, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return c.out, c.pos, top, nil
}

// sameAsBefore fails t unless AppendCanonical, CanonicalForm and a
// Canonicalizer's general path (appendValue, and Member of every
// outermost key) give for in exactly what the reference gives, errors
// included; CanonicalForm returns the input itself only when it is its
// canonical form.
func sameAsBefore(t *testing.T, z *Canonicalizer, in []byte) {
	t.Helper()
	got, gotErr := AppendCanonical([]byte("pre"), in)
	want, wantErr := refAppendCanonical([]byte("pre"), in)
	if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("AppendCanonical(%q) = %q, %v; before: %q, %v", in, got, gotErr, want, wantErr)
	}
	if gotErr != nil && (!errors.Is(gotErr, ErrInvalid) || gotErr.Error() != wantErr.Error()) {
		t.Fatalf("AppendCanonical(%q) error %q; before: %q", in, gotErr, wantErr)
	}
	buf := make([]byte, 1, 8)
	form, copied, formErr := CanonicalForm(buf, in)
	if (formErr == nil) != (wantErr == nil) || formErr != nil && formErr.Error() != wantErr.Error() || formErr == nil && !bytes.Equal(append([]byte("pre"), form...), want) {
		t.Fatalf("CanonicalForm(%q) = %q, %v; before: %q, %v", in, form, formErr, want, wantErr)
	}
	if formErr == nil && !copied && (len(in) == 0 || &form[0] != &in[0] || len(form) != len(in)) {
		t.Fatalf("CanonicalForm(%q) = %q, not copied, but not the input", in, form)
	}
	if formErr == nil && copied && len(in) > 0 && &form[0] == &in[0] {
		t.Fatalf("CanonicalForm(%q) = %q, copied, but the input itself", in, form)
	}
	got, gotEnd, gotErr := z.appendValue([]byte("pre"), in)
	want, wantEnd, wantTop, wantErr := refAppendValue([]byte("pre"), in)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("appendValue(%q) error %v; before: %v", in, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if !bytes.Equal(got, want) || gotEnd != wantEnd {
		t.Fatalf("appendValue(%q) = %q, %d; before: %q, %d", in, got, gotEnd, want, wantEnd)
	}
	if len(z.top) != len(wantTop) {
		t.Fatalf("appendValue(%q): %d outermost members, before %d", in, len(z.top), len(wantTop))
	}
	for i, m := range wantTop {
		if g := z.top[i]; !bytes.Equal(g.key, m.key) || !bytes.Equal(g.raw, m.raw) {
			t.Fatalf("appendValue(%q): member %d is %q: %q, before %q: %q", in, i, g.key, g.raw, m.key, m.raw)
		}
	}
}

// canonSeeds are inputs for the differential checks: the fake API's
// items, nested objects, every kind of escape, UTF-8 outside ASCII
// (valid, invalid, U+2028), keys that share long prefixes or differ only
// past the eighth byte, duplicates, more than 16 members, whitespace and
// errors.
var canonSeeds = []string{
	string(benchObject), string(benchNested),
	`{"b":1,"a":[1,2,{"d":null,"c":"x"}]}`, `1.50`, `"\u2028<>&"`, `{"a":1,"a":2}`, "{\"k\":\"\xff\"}", `{} x`, ``, `[[[]]]`, `-0.0e-0`,
	`{"\ud800":1,"\ud83d\ude00":2,"\u00e9":3,"é":4,"\/":[true,false,null]}`, `"\ud83d\u0041 \b\f\n\r\t\u0001\u007f"`,
	`{"b":{"y":1,"x":2},"a":{"d":[{"f":1,"e":2}],"c":0}}`, "\"\u2029\xe2\x80\xa8\xed\xa0\x80\"", `{"a":1,"b":2,"a":3,"b":4,"c":5}`, `{"z":1 , "y" : 2}`,
	`{"custom_field_10":1,"custom_field_1":2,"custom_field_2":3,"custom_fiel":4,"custom_field_1\u0000":5}`,
	`{"a\"":1,"a":2,"a\\":3,"a\u0001":4,"a\u2028":5,"a` + "\u2028" + `":6}`,
	`{"abcdefgh":1,"abcdefg":2,"abcdefghi":3,"abcdefgh":4,"":5,"\u0000":6}`,
	"{\"\xff\":1,\"\xfe\":2,\"\ufffd\":3,\"\xc3\":4,\"é\":5}",
	`{"k":"` + strings.Repeat("é", 9) + `x` + strings.Repeat("a", 17) + `\n` + strings.Repeat("ç", 3) + `"}`,
	"\"\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa\xe2\x81\xa8\xef\xbf\xbf\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xf4\x90\x80\x80\xc0\x80\xe0\x80\x80\xed\xbf\xbf\"",
	`{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{1:2}`, `["a" "b"]`, `{"a":"\x"}`, `{"a":"\u12"}`, `"\u12G4"`, `{"a":tru}`, `[1.e5]`, `[-]`, `[1e]`, "[\"a\x1fb\"]",
	strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func init() {
	var b strings.Builder
	b.WriteByte('{')
	for i := 40; i >= 0; i-- {
		fmt.Fprintf(&b, `"k%02d":%d,"k%02d":{"y":%d,"x":[%d]},`, i%7, i, i, -i, i)
	}
	b.WriteString(`"z":0}`)
	canonSeeds = append(canonSeeds, b.String())
}

// FuzzCanonicalSameAsBefore holds AppendCanonical and the Canonicalizer's
// general path to the canonicaliser they replaced (canonical_ref_test.go),
// byte for byte, on any input: the canonical form is every stored blob's
// address.
func FuzzCanonicalSameAsBefore(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add([]byte(s))
	}
	var z Canonicalizer
	f.Fuzz(func(t *testing.T, in []byte) {
		sameAsBefore(t, &z, in)
	})
}

// TestCanonicalSameAsBeforeRandom is FuzzCanonicalSameAsBefore on random
// JSON-like documents (nested objects and lists, keys from a small set
// with shared prefixes and escapes, strings of every byte class, some
// whitespace, now and then a byte out of place), so that every test run
// compares deep structures the byte-level fuzzer rarely reaches.
func TestCanonicalSameAsBeforeRandom(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	r := rand.New(rand.NewPCG(1, 2))
	var z Canonicalizer
	for range n {
		doc := randomJSON(r, nil, 0)
		if r.IntN(20) == 0 && len(doc) > 0 { // damage one byte
			const bad = "\"\\{}[],: \x00\xff0a"
			doc[r.IntN(len(doc))] = bad[r.IntN(len(bad))]
		}
		sameAsBefore(t, &z, doc)
	}
}

var randomKeys = []string{"id", "type", "data", "a", "b", "ab", "name", "é", "\\u00e9", "a\\\"", "created_at", "custom_field_1", "custom_field_10", "custom_field_2",
	"custom_fie", "", "\\u0000", "z\\n", "\u2028", "\\ud83d\\ude00", "\xff", "Z", "abcdefgh", "abcdefgi", "abcdefg"}

// randomJSON appends one random value to b.
func randomJSON(r *rand.Rand, b []byte, depth int) []byte {
	ws := func() {
		if r.IntN(8) == 0 {
			b = append(b, " \t\n\r"[r.IntN(4)])
		}
	}
	ws()
	k := r.IntN(10)
	if depth > 4 {
		k = 4 + k%6
	}
	switch {
	case k < 2:
		b = append(b, '{')
		n := 18
		if depth > 0 {
			n = 6 // documents of a few KB at most
		}
		for i := range r.IntN(n) {
			if i > 0 {
				b = append(b, ',')
			}
			ws()
			b = append(b, '"')
			b = append(b, randomKeys[r.IntN(len(randomKeys))]...)
			b = append(b, '"')
			ws()
			b = append(b, ':')
			b = randomJSON(r, b, depth+1)
		}
		ws()
		b = append(b, '}')
	case k < 4:
		b = append(b, '[')
		for i := range r.IntN(6) {
			if i > 0 {
				b = append(b, ',')
			}
			b = randomJSON(r, b, depth+1)
		}
		b = append(b, ']')
	case k < 7:
		b = append(b, '"')
		for range r.IntN(40) {
			switch x := r.IntN(30); {
			case x < 18:
				b = append(b, byte('a'+r.IntN(26)))
			case x < 20:
				b = append(b, "é☃😀"...)
			case x == 20:
				b = append(b, []string{`\n`, `\"`, `\\`, `\/`, `\u00e9`, `\u0001`, `\ud83d\ude00`, `\ud800`, `\u2028`, `\t`}[r.IntN(10)]...)
			case x == 21:
				b = append(b, []string{"\xff", "\xc3", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x7f", "<&>"}[r.IntN(8)]...)
			default:
				b = append(b, ' ')
			}
		}
		b = append(b, '"')
	case k < 9:
		b = append(b, []string{"0", "-1", "12.50", "1e5", "-0.0E+2", "123456789012345678901234567890"}[r.IntN(6)]...)
	default:
		b = append(b, []string{"true", "false", "null"}[r.IntN(3)]...)
	}
	ws()
	return b
}
