package restore

import (
	"bytes"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
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

// dataValues must read what decoding the whole item reads, for every
// input: the links pass compares its values with the source's.
func TestDataValuesIsDecodedData(t *testing.T) {
	fields := map[string]string{"client": "clients", "rel": "x", "a": "y", "missing": "z", "n": "w"}
	cases := append([]string{
		`{"data":{"client":"12","rel":["1",2],"a":null,"title":"x"}}`,
		`{"data":{"client":1,"client":{"id":3}},"data2":{}}`,
		`{"data":null}`, `{"data":[1]}`, `{"data":"x"}`, `{"x":1}`,
		`{"data":{"a":1},"data":{"rel":"9"}}`,
		`{"data":{"cli\u0065nt":"5","n":1.50}}`,
	}, exactTextCases...)
	for _, raw := range cases {
		whole, _ := decodeFields([]byte(raw))["data"].(map[string]any)
		want := map[string]any{}
		for key := range fields {
			if v, ok := whole[key]; ok {
				want[key] = v
			}
		}
		got := dataValues([]byte(raw), fields)
		if len(got) != len(want) || (len(want) > 0 && string(exactText(got)) != string(exactText(want))) {
			t.Errorf("%s: got %v, want %v", raw, got, want)
		}
	}
}

// label reads only the members it names, and must name every object as
// reading it whole does.
func TestLabelIsLabelDecoded(t *testing.T) {
	cases := append([]string{
		`{"id":7,"data":{"name":"","title":"T","number":3}}`,
		`{"id":7,"data":{"name":null,"number":12.50}}`,
		`{"id":"x9","data":[1]}`, `{"id":7,"data":null,"name":"n","slug":"s"}`,
		`{"name":{"a":1},"slug":"s","integration":{"name":"Sign","slug":"certisign"}}`,
		`{"integration":null,"email":"a@b","data":{"title":"<&>"}}`,
	}, exactTextCases...)
	for _, k := range kind.All() {
		for _, raw := range cases {
			o := &Obj{Kind: k.Name, Key: "key", Raw: []byte(raw)}
			if got, want := label(k, o), labelDecoded(k, o); got != want {
				t.Errorf("%s %s: label %q, want %q", k.Name, raw, got, want)
			}
		}
	}
}
