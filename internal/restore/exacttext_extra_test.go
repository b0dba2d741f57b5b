package restore

import (
	"strings"
	"testing"
)

// More inputs for appendExactText: keys that decode to the same string
// (invalid UTF-8, lone surrogates, U+FFFD), keys whose order changes once
// decoded, escapes in keys, and nesting at encoding/json's limit.
func TestAppendExactTextKeys(t *testing.T) {
	cases := []string{
		"{\"\xff\":1,\"\\ufffd\":2}",
		"{\"\\ufffd\":1,\"\xff\":2}",
		"{\"\xff\":1,\"\xef\xbf\xbe\":2}",
		"{\"\\ud800\":1,\"\\udc00\":2,\"\xed\xa0\x80\":3}",
		"{\"\xc0\x80\":1,\"\\u0000\":2}",
		"{\"a\xffb\":1,\"a\\ufffdb\":2,\"a\":3}",
		`{"\u00e9":1,"z":2,"<":3,"&&":4,"\u2028":5}`,
		`{"a":"\u2028\u2029","b":"` + "\u2028\u2029" + `"}`,
		`{"n":-0.0,"m":1e-7,"k":1.10,"big":123456789012345678901234567890e-400}`,
		`{"d":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"d":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		`{"d":` + strings.Repeat(`{"a":`, 9999) + "1" + strings.Repeat("}", 9999) + `}`,
		"{\"s\":\"\x7f\x00\"}",
		"{\"s\":\"a\tb\"}",
		`{"s":"\uDBFF\uDFFF\uD800"}`,
	}
	for _, raw := range cases {
		checkExactText(t, []byte(raw))
	}
}
