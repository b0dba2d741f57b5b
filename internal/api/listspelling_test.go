package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// spellingServer serves n members (pages of the query's size). Its count
// route answers count (a JSON body, "" for 404); a list page is answered
// as wrap does with the page's JSON array, and an empty page as empty.
func spellingServer(n int, count string, wrap func(list string) string, empty string) http.HandlerFunc {
	objs := objects(1, n)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/count") {
			if count == "" {
				writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
				return
			}
			writeJSON(w, 200, count)
			return
		}
		list, _ := pageOf(objs, r)
		if list == "[]" {
			writeJSON(w, 200, empty)
			return
		}
		writeJSON(w, 200, wrap(list))
	}
}

func bare(list string) string { return list }

// TestListNullIsEmpty: a server that answers an empty list as JSON null
// (what a Go server's json.Marshal of a nil slice gives), bare or under
// the envelope's key, lists an empty collection as empty, and a collection
// whose size is a multiple of the page size (the page after the last is
// empty) completely. Both failed the kind on every backup.
func TestListNullIsEmpty(t *testing.T) {
	envelope := func(list string) string { return fmt.Sprintf(`{"data": %s, "total": 20}`, list) }
	for _, tt := range []struct {
		name, count, empty string
		n                  int
		wrap               func(string) string
	}{
		{"empty collection, bare null", `{"count": 0}`, `null`, 0, bare},
		{"empty collection, null data", "", `{"data": null, "total": 0}`, 0, bare},
		{"empty collection, null data without total", "", `{"data": null}`, 0, bare},
		{"two full pages then null, no count", "", `null`, 20, bare},
		{"two full pages then null, counted", `{"count": 20}`, `null`, 20, bare},
		{"two full pages then null data", "", `{"data": null, "total": 20}`, 20, envelope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, spellingServer(tt.n, tt.count, tt.wrap, tt.empty))
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
			fn, got := collect()
			res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
			if err != nil || res.Objects != tt.n || len(*got) != tt.n || res.Drift {
				t.Fatalf("List = %+v, %v; want %d objects without drift", res, err, tt.n)
			}
		})
	}
}

// TestCountSpellings: a count or an envelope's total spelled as a string
// of digits (node-postgres answers COUNT(*), a bigint, as "25") or as an
// integral number with a fraction or an exponent is read as the count.
func TestCountSpellings(t *testing.T) {
	for _, tt := range []struct{ name, count, total string }{
		{"count as a string", `{"count": "25"}`, ""},
		{"count as 25.0", `{"count": 25.0}`, ""},
		{"bare count 2.5e1", `2.5e1`, ""},
		{"total as a string", "", `"25"`},
		{"total as 25.0", "", `25.0`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wrap := bare
			if tt.total != "" {
				wrap = func(list string) string { return fmt.Sprintf(`{"data": %s, "total": %s}`, list, tt.total) }
			}
			srv := serve(t, spellingServer(25, tt.count, wrap, wrap("[]")))
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
			fn, got := collect()
			res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
			if err != nil || res.Objects != 25 || len(*got) != 25 || !res.Counted || res.Count != 25 || res.Drift {
				t.Fatalf("List = %+v, %v; want 25 objects counted 25", res, err)
			}
		})
	}
}

// TestCountUnreadable: a count or a total that is not a count (a
// fraction, a negative number, a word, an object without one) does not
// fail the kind: it is listed without a count, and the route is logged
// once with a warning.
func TestCountUnreadable(t *testing.T) {
	for _, tt := range []struct{ name, count, total, log string }{
		{"fractional count", `{"count": 2.5}`, "", "members.count: none"},
		{"negative count", `{"count": -25}`, "", "members.count: none"},
		{"count as a word", `{"count": "many"}`, "", "members.count: none"},
		{"no count in the object", `{"n": 25}`, "", "members.count: none"},
		{"total as a word", "", `"many"`, "route=members.list"},
		{"negative total", "", `-1`, "route=members.list"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wrap := bare
			if tt.total != "" {
				wrap = func(list string) string { return fmt.Sprintf(`{"data": %s, "total": %s}`, list, tt.total) }
			}
			srv := serve(t, spellingServer(25, tt.count, wrap, wrap("[]")))
			var logs bytes.Buffer
			c, _ := newTestClient(t, srv.URL, func(o *Options) {
				o.PageSize = 10
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			for i := 0; i < 2; i++ {
				fn, got := collect()
				res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
				if err != nil || res.Objects != 25 || len(*got) != 25 || res.Counted {
					t.Fatalf("listing %d: %+v, %v; want 25 objects without a count", i, res, err)
				}
			}
			if n := strings.Count(logs.String(), "is not a count"); n != 1 {
				t.Errorf("%d warnings of a count that is not one, want one:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("the warning does not name %s:\n%s", tt.log, logs.String())
			}
		})
	}
}
