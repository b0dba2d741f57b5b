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
// a multiple of the page size repeat its last page; the repeat ends the
// listing, which is complete (it used to fail with ErrRepeatedPage), with
// a count or without, one page or several.
func TestListEndsOnTheLastPageRepeated(t *testing.T) {
	for _, n := range []int{10, 30} {
		for _, counted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d rows, counted %v", n, counted), func(t *testing.T) {
				srv := serve(t, pastEndServer(n, counted))
				c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
				fn, got := collect()
				res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
				if err != nil || res.Objects != n || len(*got) != n || res.Drift {
					t.Fatalf("List = %+v, %v; want %d objects", res, err, n)
				}
			})
		}
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
