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
