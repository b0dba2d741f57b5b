package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestListGrowingListIgnoringPaging lists a collection that grows by a row
// with every request (a request log) from a server that ignores "page" and
// "limit" and answers every row each time: no two answers are the same
// page, and the listing used to go on to MaxPages. It ends at the first
// page longer than asked, with ErrPagingIgnored naming the route.
func TestListGrowingListIgnoringPaging(t *testing.T) {
	for _, counts := range []bool{false, true} {
		t.Run(fmt.Sprint("counts=", counts), func(t *testing.T) {
			var mu sync.Mutex
			rows, requests := objects(1, 25), 0
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				requests++
				rows = append(rows, objects(len(rows)+1, 1)...)
				if strings.HasSuffix(r.URL.Path, "/count") {
					if !counts {
						writeJSON(w, 404, `{"statusCode":404,"error":"Not Found","message":"Cannot GET /count"}`)
						return
					}
					writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, len(rows)))
					return
				}
				writeJSON(w, 200, "["+join(rows)+"]")
			})
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10; o.MaxPages = 200 })
			fn, _ := collect()
			_, err := c.List(t.Context(), mustKind(t, "groups"), "acme", Object{}, fn)
			if !errors.Is(err, ErrPagingIgnored) {
				t.Fatalf("err = %v after %d requests, want ErrPagingIgnored", err, requests)
			}
			if !strings.Contains(err.Error(), "groups.list") || !strings.Contains(err.Error(), "asked for 10 rows") {
				t.Errorf("error %q does not name the route and the size asked", err)
			}
			if requests > 12 {
				t.Errorf("%d requests before giving up, want a dozen at most", requests)
			}
		})
	}
}

// TestListGrowingListIgnoringPage: a server that honours "limit" but
// ignores "page", in front of a collection that gains a row at the top
// with every request, answers each page as the first rows shifted by one:
// never exactly the page before. The listing ends at the third page: the
// second and the third both hold mostly rows of the first.
func TestListGrowingListIgnoringPage(t *testing.T) {
	s := newListServer(30)
	s.ignorePaging = true
	next := 1000
	s.afterPage = func(s *listServer, page int) {
		s.objs = append(objects(next, 1), s.objs...)
		next++
	}
	res, _, err := listAll(t, s, "groups", Object{}, func(o *Options) { o.MaxPages = 200 })
	if !errors.Is(err, ErrPagingIgnored) || res.Pages != 3 {
		t.Fatalf("err = %v after %d pages, want ErrPagingIgnored at the third", err, res.Pages)
	}
	if !strings.Contains(err.Error(), "9 of its 10 rows came on earlier pages") {
		t.Errorf("error %q does not say how much of the page repeated", err)
	}
}

// TestListToleratesShiftedRows: rows added at the top while a listing
// runs push a few rows of each page onto the next; that is drift, not a
// server that ignores paging.
func TestListToleratesShiftedRows(t *testing.T) {
	s := newListServer(60)
	next := 1000
	s.afterPage = func(s *listServer, page int) {
		s.objs = append(objects(next, 3), s.objs...)
		next += 3
	}
	res, got, err := listAll(t, s, "groups", Object{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := missingRows(got, 60); len(m) > 0 {
		t.Errorf("rows %v missing (%+v)", m, res)
	}
}

// missingRows returns the ids 1..n that got does not hold.
func missingRows(got []Object, n int) []int {
	seen := map[string]bool{}
	for _, o := range got {
		seen[o.ID] = true
	}
	var out []int
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprint(i)] {
			out = append(out, i)
		}
	}
	return out
}

// TestListNewestFirstBusy: a listing sorted newest first while 30 rows
// are added at the top with every request, at a page size of 100: every
// page repeats the last 30 rows of the page before (offset shifting), and
// the listing used to fail with ErrPagingIgnored on every busy backup. It
// is complete, without error.
func TestListNewestFirstBusy(t *testing.T) {
	s := newListServer(500)
	next := 10000
	s.afterPage = func(s *listServer, page int) {
		s.objs = append(objects(next, 30), s.objs...)
		next += 30
	}
	res, got, err := listAll(t, s, "groups", Object{}, func(o *Options) { o.PageSize = 100 })
	if err != nil {
		t.Fatalf("%+v: %v", res, err)
	}
	if m := missingRows(got, 500); len(m) > 0 {
		t.Fatalf("rows %v missing (%+v)", m, res)
	}
}

// TestListIgnoresLimitHonoursPage: a server that ignores "limit" and
// serves 20 rows a page (the contract's default) while the client asks 10
// is listed by page number with pages of 20: all 45 rows, no error.
func TestListIgnoresLimitHonoursPage(t *testing.T) {
	for _, counts := range []bool{false, true} {
		t.Run(fmt.Sprint("counts=", counts), func(t *testing.T) {
			rows := objects(1, 45)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/count") {
					if !counts {
						writeJSON(w, 404, `{"statusCode":404,"error":"Not Found","message":"Cannot GET /count"}`)
						return
					}
					writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, len(rows)))
					return
				}
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				from, to := min((page-1)*20, len(rows)), min(page*20, len(rows))
				writeJSON(w, 200, "["+join(rows[from:to])+"]")
			})
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
			fn, got := collect()
			res, err := c.List(t.Context(), mustKind(t, "groups"), "acme", Object{}, fn)
			if err != nil || res.Objects != 45 || len(sortedIDs(*got)) != 45 {
				t.Fatalf("%+v, %v; want 45 objects, no error", res, err)
			}
		})
	}
}

// TestListIgnoringPageWithRetention: a server that ignores "page" in front
// of a log that keeps only its latest rows (each request adds one and the
// oldest leaves) answers page 1 shifted by one, without page 1's first row:
// the listing still ends within a few pages.
func TestListIgnoringPageWithRetention(t *testing.T) {
	s := newListServer(30)
	s.ignorePaging = true
	next := 1000
	s.afterPage = func(s *listServer, page int) {
		s.objs = append(s.objs[1:], objects(next, 1)...)
		next++
	}
	res, _, err := listAll(t, s, "groups", Object{}, func(o *Options) { o.MaxPages = 200 })
	if !errors.Is(err, ErrPagingIgnored) || res.Pages > 4 {
		t.Fatalf("err = %v after %d pages, want ErrPagingIgnored within 4", err, res.Pages)
	}
}

// TestListFirstRowMovesDown: page 1's first row, edited in a list sorted
// by update time, moves to the end while the listing pages: one row is no
// sign of a server that ignores "page"; the listing ends complete.
func TestListFirstRowMovesDown(t *testing.T) {
	s := newListServer(35)
	s.afterPage = func(s *listServer, page int) {
		if page == 1 && len(s.pages) == 1 {
			first := s.objs[0]
			s.objs = append(s.objs[1:], first)
		}
	}
	_, got, err := listAll(t, s, "groups", Object{}, nil)
	if errors.Is(err, ErrPagingIgnored) {
		t.Fatalf("err = %v: one moved row taken for a server that ignores paging", err)
	}
	if ids := sortedIDs(got); !slices.Contains(ids, 1) {
		t.Errorf("ids = %v, want row 1 listed", ids)
	}
}
