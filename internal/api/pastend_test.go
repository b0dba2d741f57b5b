package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// pastEndServer serves n members in pages; a page past the last answers
// the last page again, as a server that clamps the page number does.
// With counted, the count route answers n.
func pastEndServer(n int, counted bool) http.HandlerFunc {
	objs := objects(1, n)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/count") {
			if !counted {
				writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
				return
			}
			writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, n))
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if last := (n + limit - 1) / limit; page > last && n > 0 {
			page = last
		}
		from := min((page-1)*limit, n)
		writeJSON(w, 200, "["+strings.Join(objs[from:min(from+limit, n)], ",")+"]")
	}
}

// TestListEndsOnTheLastPageRepeated: a server that answers the page past
// the last with the last page again makes every collection whose size is
// a multiple of the page size repeat its last page. With a count the
// repeat ends the listing, which is complete (it used to fail with
// ErrRepeatedPage); without one nothing confirms the end, so the listing
// ends there with ErrUnconfirmedEnd and drift, never complete.
func TestListEndsOnTheLastPageRepeated(t *testing.T) {
	for _, n := range []int{10, 30} {
		for _, counted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d rows, counted %v", n, counted), func(t *testing.T) {
				srv := serve(t, pastEndServer(n, counted))
				c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
				fn, got := collect()
				res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
				if res.Objects != n || len(*got) != n {
					t.Fatalf("List = %+v, %v; want %d objects", res, err, n)
				}
				if counted && (err != nil || res.Drift) {
					t.Fatalf("counted: List = %+v, %v; want complete", res, err)
				}
				if !counted && (!errors.Is(err, ErrUnconfirmedEnd) || !errors.Is(err, ErrRepeatedPage) || !res.Drift) {
					t.Fatalf("without a count: List = %+v, %v; want ErrUnconfirmedEnd and drift", res, err)
				}
			})
		}
	}
}

// windowServer serves n members in pages of at most maxLimit rows (0: no
// cap); a page past window answers page window, as a server that clamps
// the page number at a maximum result window does, while rows remain.
// With count, the count route answers n; with total, each page is an
// envelope {"data": [...], "total": n}.
func windowServer(n, maxLimit, window int, count, total bool) http.HandlerFunc {
	objs := objects(1, n)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/count") {
			if !count {
				writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
				return
			}
			writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, n))
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if maxLimit > 0 {
			limit = min(limit, maxLimit)
		}
		page = min(page, window)
		from := min((page-1)*limit, n)
		rows := "[" + strings.Join(objs[from:min(from+limit, n)], ",") + "]"
		if total {
			rows = fmt.Sprintf(`{"data": %s, "total": %d}`, rows, n)
		}
		writeJSON(w, 200, rows)
	}
}

// TestListRepeatAtResultWindowNotComplete: a server that clamps the page
// number at 3 repeats page 3 while 20 of 50 rows remain. Without a count,
// that looks the same as the end; the listing must not end complete with
// 30 rows (it did, and the backup stored the kind truncated as complete).
// With a total, the listing is short of it; with a count route, the
// counted pages 3 to 5, fetched in parallel, repeat each other.
func TestListRepeatAtResultWindowNotComplete(t *testing.T) {
	for _, tc := range []struct {
		name         string
		count, total bool
		want         error
	}{
		{"no count", false, false, ErrUnconfirmedEnd},
		{"count route", true, false, ErrRepeatedPage},
		{"envelope total", false, true, ErrShortListing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, windowServer(50, 0, 3, tc.count, tc.total))
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
			fn, got := collect()
			res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
			if !errors.Is(err, tc.want) || (!tc.count && len(*got) != 30) {
				t.Fatalf("List = %+v, %v (%d rows); want %v with 30 rows", res, err, len(*got), tc.want)
			}
		})
	}
}

// TestListProbeEndsOnTheLastPageRepeated: a server that caps its pages at
// 10 rows and clamps the page number answers the probe's page 3 as page 2.
// That used to fail the kind with ErrRepeatedPage whatever the count; the
// probe now ends there under pastEnd's rule: complete when an envelope's
// total confirms the end, ErrUnconfirmedEnd with all rows without one.
func TestListProbeEndsOnTheLastPageRepeated(t *testing.T) {
	for _, total := range []bool{true, false} {
		t.Run(fmt.Sprintf("total %v", total), func(t *testing.T) {
			srv := serve(t, windowServer(20, 10, 2, false, total))
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 20 })
			fn, got := collect()
			res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
			if len(*got) != 20 {
				t.Fatalf("List = %+v, %v (%d rows); want 20 rows", res, err, len(*got))
			}
			if total && (err != nil || res.Drift) {
				t.Fatalf("with a total: List = %+v, %v; want complete", res, err)
			}
			if !total && !errors.Is(err, ErrUnconfirmedEnd) {
				t.Fatalf("without a count: List = %+v, %v; want ErrUnconfirmedEnd", res, err)
			}
		})
	}
}

// TestListRepeatedFirstPageStillFails: a server that ignores "page" also
// answers page 2 as page 1; asked with half the page size, its pages 1 and
// 2 are the same rows, so the listing still fails with ErrRepeatedPage
// rather than end with one page of a larger collection.
func TestListRepeatedFirstPageStillFails(t *testing.T) {
	s := newListServer(50)
	s.ignorePaging = true
	_, _, err := listAll(t, s, "members", Object{}, nil)
	if !errors.Is(err, ErrRepeatedPage) {
		t.Fatalf("err = %v, want ErrRepeatedPage", err)
	}
}
