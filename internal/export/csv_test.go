package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func TestCSVRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := NewDir(dir, testOpts("csv"))
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"title", "amount", "ok", "tags", "owner", "missing", "nothing", "meta"}
	if err := w.SetFields("contracts", cols); err != nil {
		t.Fatal(err)
	}
	items := []string{
		`{"id":1,"data":{"title":"a, \"quoted\"\nline two — Zoë 日本","amount":12.50,"ok":true,"tags":[1, 2],"owner":7,"nothing":null,"meta":{"k": "v,\"w\""}}}`,
		`{"id":2,"data":{"title":"","amount":-3e2,"ok":false}}`,
		`{"id":3}`,
	}
	for i, it := range items {
		if err := w.Put("items", "contracts", "", []byte(it)); err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if err := w.SetFields("contracts", []string{"x"}); !errors.Is(err, ErrFieldsLate) {
		t.Errorf("SetFields after first item = %v, want ErrFieldsLate", err)
	}
	if err := w.Put("types", "", "contracts", []byte(`{"slug":"contracts"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	m := checkManifest(t, files)
	if m.Files[0].Path != "items/contracts.csv" || m.Files[0].Objects != 3 {
		t.Errorf("manifest files = %+v", m.Files)
	}
	if _, ok := files["types.ndjson"]; !ok {
		t.Errorf("types not kept as ndjson in csv mode: %v", files)
	}
	got, err := csv.NewReader(bytes.NewReader(files["items/contracts.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		append([]string{"id"}, cols...),
		{"1", "a, \"quoted\"\nline two — Zoë 日本", "12.50", "true", "[1,2]", "7", "", "", `{"k":"v,\"w\""}`},
		{"2", "", "-3e2", "false", "", "", "", "", ""},
		{"3", "", "", "", "", "", "", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !equalStrings(got[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestCSVErrors(t *testing.T) {
	w, err := NewTarGzStream(&bytes.Buffer{}, testOpts("csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Put("items", "people", "1", []byte(`{"data":{}}`)); !errors.Is(err, ErrNoFields) {
		t.Errorf("item without fields = %v, want ErrNoFields", err)
	}
	if err := w.SetFields("people", []string{"name"}); err != nil {
		t.Fatal(err)
	}
	bad := []string{`[1]`, `{"data": 3}`, `{"data":`, `"x"`}
	for _, b := range bad {
		if err := w.Put("items", "people", "1", []byte(b)); !errors.Is(err, ErrBadObject) {
			t.Errorf("item %s = %v, want ErrBadObject", b, err)
		}
	}
	if err := w.SetFields("../x", nil); !errors.Is(err, ErrBadName) {
		t.Errorf("SetFields bad slug = %v, want ErrBadName", err)
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ""},
		{`null`, ""},
		{`true`, "true"},
		{`false`, "false"},
		{`"s"`, "s"},
		{`"\u00e9\n"`, "é\n"},
		{`42`, "42"},
		{`-0.5e-3`, "-0.5e-3"},
		{`[ "a" , 1 ]`, `["a",1]`},
		{` {"b" : [ ] } `, `{"b":[]}`},
	}
	for _, tt := range tests {
		got, err := csvCell(json.RawMessage(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("csvCell(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzPut(f *testing.F) {
	f.Add("k", "p", []byte(`{"a":"b\u2028","c":[1,2.5,null,true]}`))
	f.Add("", "", []byte(`"x"`))
	f.Add("\x00\"", "\xff", []byte(`{"data":{"title":"a,b\n"}}`))
	f.Add("k", "p", []byte(`{`))
	f.Fuzz(func(t *testing.T, key, parent string, raw []byte) {
		for _, format := range []string{"ndjson", "csv"} {
			var buf bytes.Buffer
			w, err := NewTarGzStream(&buf, testOpts(format))
			if err != nil {
				t.Fatal(err)
			}
			_ = w.SetFields("t", []string{"title", "a"})
			werr := w.Put("types", parent, key, raw)
			ierr := w.Put("items", "t", key, raw)
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files, _ := readTarGz(t, &buf)
			if werr == nil {
				var line struct{ Key, Parent string }
				if err := json.Unmarshal(files["types.ndjson"], &line); err != nil {
					t.Fatalf("wrapped line does not parse: %v: %q", err, files["types.ndjson"])
				}
				if utf8.ValidString(key) && line.Key != key {
					t.Fatalf("key %q came back as %q", key, line.Key)
				}
			}
			if ierr == nil && format == "csv" {
				if _, err := csv.NewReader(bytes.NewReader(files["items/t.csv"])).ReadAll(); err != nil {
					t.Fatalf("csv does not parse: %v", err)
				}
			}
		}
	})
}
