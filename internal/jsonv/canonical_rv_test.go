package jsonv

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPlainEndSameAsBefore holds plainEnd (shared by the canonical form,
// Valid and IsCanonical) to the word scan it replaced: every pair of
// byte values at every pair of places in a word, on a background of
// plain bytes, then random words of the byte classes that matter.
func TestPlainEndSameAsBefore(t *testing.T) {
	buf := make([]byte, 19)
	vals, n := make([]int, 256), 2_000_000
	for i := range vals {
		vals[i] = i
	}
	if testing.Short() { // the bytes at the edges of each class
		vals, n = []int{0, 1, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xa2, 0xa3, 0xdc, 0xfe, 0xff}, 200_000
	}
	for _, a := range vals {
		for _, b := range vals {
			for i := 0; i < 8; i++ {
				for j := i; j < 9; j++ {
					for k := range buf {
						buf[k] = 'a'
					}
					buf[2+i], buf[2+j] = byte(a), byte(b)
					for from := 0; from < 3; from++ {
						if g, w := plainEnd(buf, from), refPlainEnd(buf, from); g != w {
							t.Fatalf("plainEnd(%q, %d) = %d, before %d", buf, from, g, w)
						}
					}
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	class := []byte{0, 1, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xa2, 0xa3, 0xc3, 0xdc, 0xdd, 0xe2, 0xfe, 0xff, 'a', 'a', 'a', 'a'}
	for range n {
		n := r.IntN(20)
		for k := range n {
			buf[k] = class[r.IntN(len(class))]
		}
		from := 0
		if n > 0 {
			from = r.IntN(n)
		}
		if g, w := plainEnd(buf[:n], from), refPlainEnd(buf[:n], from); g != w {
			t.Fatalf("plainEnd(%q, %d) = %d, before %d", buf[:n], from, g, w)
		}
	}
}

// trickyKeys are spellings of keys whose decoded order differs from
// their bytes' order, or whose first eight decoded bytes tie, or that
// are equal once unescaped.
var trickyKeys = []string{
	``, `\u0000`, `\u0000\u0000`, `a`, `\u0061`, `\u0041`, `A`, `a\u0000`, `a\u0001`, `/`, `\/`, `\u002f`, `\\`, `\u005c`, `\"`, `\u0022`,
	`abcdefgh`, `abcdefg\u0068`, `abcdefgh\u0000`, `abcdefghi`, `abcdefgh` + "\xff", `abcdefg` + "\xff", `abcdefg\u00ff`, "abcdefg\xc3\xbf",
	"\xff", "\xef\xbf\xbd", `\ufffd`, `\ud800`, `\udc00x`, `\ud83d\ude00`, "\xf0\x9f\x98\x80", `\uffff`, "\xef\xbf\xbf", `\ue000`, "\xee\x80\x80",
	"\xe2\x80\xa8", `\u2028`, "\xed\xa0\x80", "\xc0\x80", `\u0080`, "\xc2\x80", `\u007f`, "\x7f", `\t`, `\u0009`, "a\xffb", "a\xef\xbf\xbdb",
	`12345678`, `1234567\u0038`, `1234567`, `12345678\u2028`, "12345678\xe2\x80\xa8", `\u00e9\u00e9\u00e9\u00e9`, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
}

// TestCanonicalTrickyKeysSameAsBefore puts every pair and many triples
// of trickyKeys in objects, in both orders, with and without
// whitespace, at the top and nested, and holds the result to the
// reference.
func TestCanonicalTrickyKeysSameAsBefore(t *testing.T) {
	var z Canonicalizer
	obj := func(keys ...string) []string {
		var b, s strings.Builder
		b.WriteByte('{')
		s.WriteString("{ ")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
				s.WriteString(" ,\n")
			}
			b.WriteString(`"` + k + `":` + string(rune('0'+i)))
			s.WriteString(`"` + k + "\"\t:\r" + string(rune('0'+i)))
		}
		b.WriteByte('}')
		s.WriteString(" }")
		return []string{b.String(), s.String(), `[` + b.String() + `]`, `{"x":` + b.String() + `,"a":` + s.String() + `}`}
	}
	for _, a := range trickyKeys {
		for _, b := range trickyKeys {
			for _, in := range obj(a, b) {
				sameAsBefore(t, &z, []byte(in))
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	rounds := 200_000
	if testing.Short() {
		rounds = 10_000
	}
	for range rounds {
		n := 2 + r.IntN(20)
		keys := make([]string, n)
		for i := range keys {
			keys[i] = trickyKeys[r.IntN(len(trickyKeys))]
		}
		for _, in := range obj(keys...) {
			sameAsBefore(t, &z, []byte(in))
		}
	}
}

// TestCanonicalStringPlacesSameAsBefore puts each odd byte sequence at
// every place of a string, in keys and values, relative to the eight
// byte words and the end of the input.
func TestCanonicalStringPlacesSameAsBefore(t *testing.T) {
	var z Canonicalizer
	odd := []string{"\xff", "\xc3", "\xc3\xa9", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98", "\xf4\x90\x80\x80",
		"\xc0\xaf", "\xc1\xbf", "\xc2", "\xdf\xbf", "\xe0\x9f\xbf", "\xef\xbf\xbd", `\u2028`, `\n`, `\"`, `\\`, `\/`, `\u0000`, `\ud800\udc00`, `\ud800`, "\x1f", "\x7f", `"`, `\`, `\u12`, "\x00"}
	for _, o := range odd {
		for pre := 0; pre < 18; pre++ {
			for post := 0; post < 10; post++ {
				s := strings.Repeat("a", pre) + o + strings.Repeat("b", post)
				for _, in := range []string{`"` + s + `"`, `"` + s, `{"` + s + `":1,"a":2}`, `{"z":1,"` + s + `":2}`, `["` + s + `" ]`, `{"k":"` + s + `"}`, `"` + s + `"` + " "} {
					sameAsBefore(t, &z, []byte(in))
				}
			}
		}
	}
}

// TestCanonicalNumbersSpaceSameAsBefore: numbers, literals, whitespace
// and trailing data.
func TestCanonicalNumbersSpaceSameAsBefore(t *testing.T) {
	var z Canonicalizer
	vals := []string{"-0", "0", "1e5", "1E+05", "0.10", "1e999999999", "-1.5e-400", "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x1", "1_0", "true", "tru", "nul", "null ", "falsey", `""`, `[]`, `{}`, "[ ]", "{ }", "[1 , 2 ]", "\ufeff1", "1\x00", "1 x", " 1", "\t1\n", "1\r\n", "[1,]", "[,1]", "{,}", `{"a"}`, `{"a":}`}
	for _, v := range vals {
		for _, in := range []string{v, "[" + v + "]", `{"b":` + v + `,"a":` + v + `}`, `{"a":` + v + `}`, `[` + v + `,` + v + `]`} {
			sameAsBefore(t, &z, []byte(in))
		}
	}
}

func init() {
	// Keys spelled with escapes whose decoded order differs from their
	// bytes' or whose first eight decoded bytes tie, equal keys spelled
	// differently, and odd bytes at the ends of the eight-byte words:
	// seeds for FuzzCanonicalSameAsBefore.
	canonSeeds = append(canonSeeds,
		`{"\u0061":1,"a":2,"\u0041":3,"\/":4,"/":5,"abcdefg\u0068":6,"abcdefgh":7,"abcdefgh\u0000":8,"abcdefg":9}`,
		`{"12345678\u2028":1,"12345678`+"\u2028"+`":2,"1234567\u0038x":3,"12345678x":4,"\ud83d\ude00":5,"`+"\U0001F600"+`":6,"\uffff":7}`,
		"{\"abcdefg\xff\":1,\"abcdefg\\ufffd\":2,\"abcdefgh\xff\":3,\"\xff\":4,\"\\ud800\":5,\"\":6,\"\\u0000\":7}",
		"[\"abcdefg\xe2\x80\xa8\",\"abcdefgh\xe2\x80\",\"abcdefghijklmno\xf0\x9f\x98\x80\",\"abcdefghijklmnop\xc3\"]",
		" {\"b\" : [ -0 , 1E+05 , 0.10 , 1e999999 ] , \"a\" : { } } ",
	)
}
