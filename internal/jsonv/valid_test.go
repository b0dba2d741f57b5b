package jsonv

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	tooDeep := "[" + deep + "]"
	for _, s := range []string{``, ` `, `{}`, `[]`, ` {"a":[1,-0.5e+3,true,false,null,"\u00e9\n"]} `, `"\ud800"`, "\"\xff\"",
		`{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `1e`, `"\x"`, `"\u12"`, "\"\x01\"", `{"a" 1}`, `{1:2}`, `nul`, `[1] [2]`, `"abc`,
		deep, tooDeep} {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%.40q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

// FuzzValid checks Valid against encoding/json's Valid.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1,2,{"d":null,"c":"x"}]}`, `1.50`, `"\u2028<>&"`, `{} x`, ``, `[[[]]]`, `-0.0e-0`,
		`"\ud83d\u0041 \b\f\n\r\t\u0001\u007f"`, "{\"k\":\"\xff\"}", `{"z":1 , "y" : 2}`, `[1,2`, `{"a":tru}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := Valid(in), json.Valid(in); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", in, got, want)
		}
	})
}

// BenchmarkValid checks a page of 100 objects shaped like the fake's
// items, with Valid and with encoding/json's Valid.
func BenchmarkValid(b *testing.B) {
	page := append([]byte("["), bytes.Repeat(append(append([]byte(nil), benchObject...), ','), 99)...)
	page = append(append(page, benchObject...), ']')
	for _, c := range []struct {
		name  string
		valid func([]byte) bool
	}{{"jsonv", Valid}, {"encoding-json", json.Valid}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				if !c.valid(page) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func TestIsCanonical(t *testing.T) {
	for s, want := range map[string]bool{
		`{"a":1,"b":[true,null,{"c":"x","d":-1.50e3}]}`: true, `1`: true, `"s"`: true, `{}`: true, `[]`: true, `{"":1,"a":2}`: true,
		`{"b":1,"a":2}`: false, `{"a":1,"a":2}`: false, `{"a": 1}`: false, ` 1`: false, `1 `: false, `"\n"`: false, `"é"`: true,
		`{"city":"São Paulo","name":"Araújo"}`: true, "\"\xff\"": false, "\"\xed\xa0\x80\"": false, "\"\u2028\"": false, "\"\u2029\"": false,
		"\"\ufffd\"": true, `{"é":1,"z":2}`: false, `{"z":1,"é":2}`: true,
		`{"a":1,}`: false, ``: false, `[1,2`: false, `{"id":1,"type":"x","data":{}}`: false,
	} {
		if got := IsCanonical([]byte(s)); got != want {
			t.Errorf("IsCanonical(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzIsCanonical checks that what IsCanonical accepts is its own
// canonical form, and that canonical forms without an escape pass.
func FuzzIsCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1,2,{"d":null,"c":"x"}]}`, `1.50`, `{"a":1,"a":2}`, `{"z":1 , "y" : 2}`, `[{"a":{"b":[]}}]`, `{"":0}`,
		`{"a":"São","b":"\u00e9"}`, "\"\xe2\x80\xa8\"", "\"\xed\xa0\x80\xef\xbf\xbd\"", "{\"\xc3\xa9\":1,\"e\":2}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if IsCanonical(in) {
			c, err := Canonical(in)
			if err != nil || !bytes.Equal(c, in) {
				t.Fatalf("IsCanonical(%q), but Canonical gives %q, %v", in, c, err)
			}
		}
		c, err := Canonical(in)
		if err == nil && !IsCanonical(c) && !bytes.ContainsAny(c, "\\") {
			t.Fatalf("canonical form %q of %q fails IsCanonical", c, in)
		}
	})
}
