package restore

import (
	"bytes"
	"testing"
)

// appendExactText must write what exactText writes for the decoded object
// (the fingerprint of saved plans depends on it), for every JSON input:
// HTML characters, escapes, control characters, invalid UTF-8, lone
// surrogates, numbers of any spelling, duplicate and unsorted keys, and
// what is not an object at all.
func TestAppendExactTextIsExactText(t *testing.T) {
	for _, raw := range exactTextCases {
		checkExactText(t, []byte(raw))
	}
}

func FuzzAppendExactText(f *testing.F) {
	for _, raw := range exactTextCases {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkExactText(t, raw) })
}

func checkExactText(t *testing.T, raw []byte) {
	t.Helper()
	want := exactText(decodeFields(raw))
	got := appendExactText([]byte("prefix"), raw)
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Errorf("%q:\n got %s\nwant %s", raw, got[min(len(got), len("prefix")):], want)
	}
}

var exactTextCases = []string{
	`{}`, ` { } `, `{"b":1,"a":2}`, `{"a":1,"a":2}`,
	`{"title":"<b>Tom & Jerry</b>","x":">"}`,
	`{"s":"\u003c\u0026\u003e","t":"\/path","u":"\u00e9\u2028\u2029"}`,
	`{"c":"\u0000\u0001\u001f\b\f\n\r\t\"\\ \u007f"}`,
	"{\"bad\":\"\xff\xfe ok\",\"lone\":\"\\ud800 x \\udc00\"}",
	`{"n":[1,1.0,-0,1e3,1E+3,12345678901234567890123,0.000001]}`,
	`{"nested":{"z":[{"b":null,"a":true}],"a":{"k":false}},"data":{"rel":["1","2"]}}`,
	`{"emoji":"😀","pair":"\ud83d\ude00","k\u00e9y":"v"}`,
	`[1,2]`, `"text"`, `12`, `null`, `{"a":`, `{"a":1} x`, ``, `not json`,
}
