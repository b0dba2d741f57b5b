package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeList(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      []string // elements, byte for byte
		total     int
		hasTotal  bool
		badTotal  string // the total left out, if any
		wantError string // part of the error; "" for success
	}{
		{name: "bare array", body: `[{"id": 1, "a": [1, 2]}, {"id":"x"}]`,
			want: []string{`{"id": 1, "a": [1, 2]}`, `{"id":"x"}`}},
		{name: "empty array", body: " [ ] \n", want: []string{}},
		{name: "whitespace inside elements kept", body: "[\n  {\"id\" :\t7 ,\"n\":\"\\u00e9\"}\n]",
			want: []string{"{\"id\" :\t7 ,\"n\":\"\\u00e9\"}"}},
		{name: "data with total", body: `{"data": [{"id": 1}], "total": 41}`,
			want: []string{`{"id": 1}`}, total: 41, hasTotal: true},
		{name: "items with count", body: `{"count": 3, "items": [{"id": 1}]}`,
			want: []string{`{"id": 1}`}, total: 3, hasTotal: true},
		{name: "results with meta.total", body: `{"results": [{"id": 2}], "meta": {"total": 9, "page": 1}}`,
			want: []string{`{"id": 2}`}, total: 9, hasTotal: true},
		{name: "total preferred to count and meta", body: `{"meta": {"total": 1}, "count": 2, "total": 3, "data": []}`,
			want: []string{}, total: 3, hasTotal: true},
		{name: "null total ignored", body: `{"data": [], "total": null}`, want: []string{}},
		{name: "other keys skipped", body: `{"page": {"x": [1, {"y": 2}]}, "data": [{"id": 1}], "links": null}`,
			want: []string{`{"id": 1}`}},
		{name: "data not a list, items is", body: `{"data": {"id": 1}, "items": [{"id": 2}]}`,
			want: []string{`{"id": 2}`}},
		{name: "html", body: "<!doctype html><html>502</html>", wantError: "not JSON"},
		{name: "empty body", body: "  ", wantError: "empty body"},
		{name: "object without list", body: `{"statusCode": 200, "message": "ok"}`, wantError: "without a list"},
		{name: "null list is empty", body: `{"data": null}`, want: []string{}},
		{name: "null list with total", body: `{"data": null, "total": 0}`, want: []string{}, hasTotal: true},
		{name: "null is an empty list", body: ` null `, want: []string{}},
		{name: "null beside a list", body: `{"data": null, "items": [{"id": 1}]}`, want: []string{`{"id": 1}`}},
		{name: "null list with paging keys", body: `{"data": null, "page": 3, "limit": 10, "per_page": 10, "next": null, "links": {"next": null}, "meta": {"total": 20}}`, want: []string{}, total: 20, hasTotal: true},
		{name: "list key left out beside a total", body: `{"total": 0}`, want: []string{}, hasTotal: true},
		{name: "list key left out beside a total and paging", body: `{"total": 5, "page": 2, "limit": 10}`, want: []string{}, total: 5, hasTotal: true},
		{name: "list key left out in an error answer", body: `{"statusCode": 500, "total": 0}`, wantError: "without a list"},
		{name: "list key left out beside a meta without a total", body: `{"meta": {"page": 1}}`, wantError: "without a list"},
		{name: "list key left out beside a null total", body: `{"total": null}`, wantError: "without a list"},
		{name: "object with a count but no list", body: `{"id": 7, "name": "x", "count": 3}`, wantError: "without a list"},
		{name: "null list with errors", body: `{"data": null, "errors": [{"message": "forbidden"}]}`, wantError: "error answer"},
		{name: "null list with statusCode", body: `{"statusCode": 500, "message": "db timeout", "data": null}`, wantError: "error answer"},
		{name: "null list with error", body: `{"items": null, "error": "Internal Server Error"}`, wantError: "error answer"},
		{name: "null list beside a non-list", body: `{"results": null, "data": {"rows": [{"id": 1}], "total": 1}}`, wantError: "not a list"},
		{name: "null list beside another key", body: `{"data": null, "rows": [{"id": 1}]}`, wantError: "which holds rows"},
		{name: "string", body: `"[]"`, wantError: "expected a list"},
		{name: "truncated in element", body: `[{"id": 1}, {"id": 2, "na`, wantError: "element 1"},
		{name: "truncated after element", body: `[{"id": 1},`, wantError: "element 1"},
		{name: "truncated before close", body: `[{"id": 1}`, wantError: "not closed"},
		{name: "truncated envelope", body: `{"data": [{"id": 1}]`, wantError: "not closed"},
		{name: "element not an object", body: `[{"id": 1}, 2]`, wantError: "element 1 is not an object"},
		{name: "nested list element", body: `[[{"id": 1}]]`, wantError: "element 0 is not an object"},
		{name: "element without id", body: `[{"id": 1}, {"name": "x"}]`, wantError: `element 1: field "id": missing`},
		{name: "null id", body: `[{"id": null}]`, wantError: "missing"},
		{name: "object id", body: `[{"id": {"a": 1}}]`, wantError: "not a string or number"},
		{name: "trailing data", body: `[{"id": 1}] [{"id": 2}]`, wantError: "data after the list"},
		{name: "trailing garbage", body: `[]x`, wantError: "data after the list"},
		{name: "two lists", body: `{"data": [], "items": []}`, wantError: "two lists"},
		{name: "negative total left out", body: `{"data": [], "total": -1}`, want: []string{}, badTotal: "-1"},
		{name: "fractional total left out", body: `{"data": [], "total": 1.5}`, want: []string{}, badTotal: "1.5"},
		{name: "word total left out", body: `{"data": [], "total": "many"}`, want: []string{}, badTotal: `"many"`},
		{name: "bad total, good count", body: `{"data": [], "total": "x", "count": 4}`, want: []string{}, total: 4, hasTotal: true},
		{name: "string total", body: `{"data": [], "count": "3"}`, want: []string{}, total: 3, hasTotal: true},
		{name: "float total", body: `{"data": [], "total": 3.0}`, want: []string{}, total: 3, hasTotal: true},
		{name: "exponent total", body: `{"data": [], "meta": {"total": 3e0}}`, want: []string{}, total: 3, hasTotal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeList([]byte(tt.body), "id")
			if tt.wantError != "" {
				if err == nil {
					t.Fatalf("DecodeList(%s) = %v, want an error with %q", tt.body, got, tt.wantError)
				}
				if !errors.Is(err, ErrInvalidBody) || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("error = %v, want ErrInvalidBody with %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeList(%s): %v", tt.body, err)
			}
			gotItems := make([]string, len(got.Items))
			for i, raw := range got.Items {
				gotItems[i] = string(raw)
			}
			if !reflect.DeepEqual(gotItems, tt.want) {
				t.Errorf("items = %q, want %q", gotItems, tt.want)
			}
			if got.Total != tt.total || got.HasTotal != tt.hasTotal {
				t.Errorf("total = %d, %v, want %d, %v", got.Total, got.HasTotal, tt.total, tt.hasTotal)
			}
			if string(got.BadTotal) != tt.badTotal {
				t.Errorf("BadTotal = %s, want %s", got.BadTotal, tt.badTotal)
			}
		})
	}
}

func TestDecodeListWithoutIDField(t *testing.T) {
	got, err := DecodeList([]byte(`[{"name": "no id"}]`), "")
	if err != nil || len(got.Items) != 1 {
		t.Fatalf("DecodeList = %v, %v, want one element", got, err)
	}
}

func TestDecodeCount(t *testing.T) {
	tests := []struct {
		body string
		want int
		ok   bool
	}{
		{`{"count": 12}`, 12, true},
		{`{"total": 3}`, 3, true},
		{` 7 `, 7, true},
		{`{"count": 0}`, 0, true},
		{`{"count": -1}`, 0, false},
		{`{"count": "12"}`, 12, true}, // node-postgres's COUNT(*), a bigint
		{`{"count": "012"}`, 12, true},
		{`{"count": 12.0}`, 12, true},
		{`{"count": 1e3}`, 1000, true},
		{`{"count": 1.5E+1}`, 15, true},
		{`{"count": 120e-1}`, 12, true},
		{`{"count": 0.0e5}`, 0, true},
		{`{"count": 12.5}`, 0, false},
		{`{"count": 125e-1}`, 0, false},
		{`{"count": -3.0}`, 0, false},
		{`{"count": "-3"}`, 0, false},
		{`{"count": "3.0"}`, 0, false},
		{`{"count": ""}`, 0, false},
		{`{"count": "3 "}`, 0, false},
		{`{"count": 1e99}`, 0, false},
		{`{"count": 1e999999999}`, 0, false},
		{`{"n": 12}`, 0, false},
		{`<html>`, 0, false},
		{`{"count": 99999999999999999999}`, 0, false},
	}
	for _, tt := range tests {
		got, err := decodeCount(json.RawMessage(tt.body))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("decodeCount(%s) = %d, %v; want %d, ok %v", tt.body, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidBody) {
			t.Errorf("decodeCount(%s) error %v is not ErrInvalidBody", tt.body, err)
		}
	}
}

func FuzzDecodeList(f *testing.F) {
	for _, s := range []string{
		`[{"id": 1}]`, `[]`, `{"data": [{"id": "a"}], "total": 1}`, `{"items": []}`,
		`{"results": [{"id": 2, "x": {"y": [1, 2, {"z": null}]}}], "meta": {"total": 5}}`,
		`[{"id": 1}, 2]`, `<html>`, `[{"id": 1}`, `{"data": {"id": 1}}`, "[{\"id\": \"\xff\"}]",
		`[{"id":1,"id":2}]`, `{"data": [], "items": {}}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, withID bool) {
		idField := ""
		if withID {
			idField = "id"
		}
		page, err := DecodeList(body, idField)
		if err != nil {
			if !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("error %v is not ErrInvalidBody", err)
			}
			return
		}
		if page.HasTotal && page.Total < 0 {
			t.Fatalf("negative total %d", page.Total)
		}
		for i, raw := range page.Items {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatalf("element %d %q is not a JSON object: %v", i, raw, err)
			}
			if withID {
				if _, err := scalarText(obj["id"]); err != nil {
					t.Fatalf("element %d %q accepted without an id: %v", i, raw, err)
				}
			}
		}
		// Whatever was accepted re-encodes to a list that decodes the same.
		again, err := json.Marshal(page.Items)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		page2, err := DecodeList(again, idField)
		if err != nil {
			t.Fatalf("re-encoded %q rejected: %v", again, err)
		}
		if len(page2.Items) != len(page.Items) {
			t.Fatalf("re-decoded %d elements, want %d", len(page2.Items), len(page.Items))
		}
		for i := range page.Items {
			var a, b any
			if json.Unmarshal(page.Items[i], &a) != nil || json.Unmarshal(page2.Items[i], &b) != nil {
				t.Fatalf("element %d does not decode", i)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("element %d changed: %q then %q", i, page.Items[i], page2.Items[i])
			}
		}
	})
}
