package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestListPageCap lists 53 objects from a server that honours limit only up
// to 5 when asked for 10, whether its pages start at multiples of the cap
// or of the limit asked for: the listing goes on with pages of 5 and holds
// every object, and the client asks for 5 from then on.
func TestListPageCap(t *testing.T) {
	for _, bySkip := range []bool{false, true} {
		name := "pages at multiples of the cap"
		if bySkip {
			name = "pages at multiples of the limit"
		}
		t.Run(name, func(t *testing.T) {
			s := newListServer(53)
			s.counts, s.pageCap, s.capBySkip = true, 5, bySkip
			srv := serve(t, s.ServeHTTP)
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
			fn, got := collect()
			res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
			if err != nil {
				t.Fatal(err)
			}
			if res.Objects != 53 || res.Drift {
				t.Errorf("result = %+v, want 53 objects without drift", res)
			}
			if !slices.Equal(sortedIDs(*got), seq(1, 53)) {
				t.Errorf("ids = %v, want 1..53", sortedIDs(*got))
			}
			if c.PageSize() != 5 {
				t.Errorf("PageSize() = %d after the listing, want 5 (the size the server honoured)", c.PageSize())
			}
			s.mu.Lock()
			s.queries = nil
			s.mu.Unlock()
			fn, got = collect()
			if _, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn); err != nil {
				t.Fatal(err)
			}
			if len(*got) != 53 {
				t.Errorf("second listing: %d objects, want 53", len(*got))
			}
			for _, q := range s.queries {
				if !strings.Contains(q, "limit=5") {
					t.Errorf("second listing asked %q, want limit=5 directly", q)
				}
			}
		})
	}
}

// TestListPageCapNoContinuation: without continuation, a capped listing
// falls short of its stable count and fails, naming the figures.
func TestListPageCapNoContinuation(t *testing.T) {
	s := newListServer(53)
	s.counts, s.pageCap = true, 5
	res, got, err := listAll(t, s, "members", Object{}, func(o *Options) { o.NoPageContinuation = true })
	if !errors.Is(err, ErrShortListing) {
		t.Fatalf("err = %v, want ErrShortListing", err)
	}
	const want = "listed 30 of 53 members: the server returned fewer than its count"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if res.Objects != 30 || len(got) != 30 {
		t.Errorf("%d objects (%d handed on), want 30", res.Objects, len(got))
	}
}

// TestListShortPage: one page comes back one object short mid-listing. Asked
// again it is whole, and the listing is complete; a server that drops the
// row every time gives a listing that fails. Neither changes the page size.
func TestListShortPage(t *testing.T) {
	for _, always := range []bool{false, true} {
		s := newListServer(45)
		s.counts, s.dropPage, s.dropAlways = true, 2, always
		srv := serve(t, s.ServeHTTP)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
		fn, got := collect()
		res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
		if always {
			if !errors.Is(err, ErrShortListing) || !strings.Contains(err.Error(), "listed 44 of 45 members") {
				t.Errorf("always short: err = %v, want listed 44 of 45 members: ErrShortListing", err)
			}
		} else {
			if err != nil {
				t.Fatalf("short once: %v", err)
			}
			if res.Objects != 45 || !slices.Equal(sortedIDs(*got), seq(1, 45)) {
				t.Errorf("short once: %d objects %v, want 1..45", res.Objects, sortedIDs(*got))
			}
		}
		if c.PageSize() != 10 {
			t.Errorf("always=%v: PageSize() = %d, want 10 (a short page is not a cap)", always, c.PageSize())
		}
	}
}

// TestListPageCapWithoutCount: without a count, a first page shorter than
// asked may be cut by a cap: the listing goes on with the size the server
// gave and holds every object, whether the server's pages start at
// multiples of the cap or of the limit asked for.
func TestListPageCapWithoutCount(t *testing.T) {
	for _, bySkip := range []bool{false, true} {
		s := newListServer(53)
		s.pageCap, s.capBySkip = 20, bySkip
		srv := serve(t, s.ServeHTTP)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
		fn, got := collect()
		res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
		if err != nil || res.Objects != 53 || res.Counted {
			t.Errorf("bySkip=%v: result = %+v, %v; want 53 objects, no count, no error", bySkip, res, err)
		}
		if !slices.Equal(sortedIDs(*got), seq(1, 53)) {
			t.Errorf("bySkip=%v: ids = %v, want 1..53", bySkip, sortedIDs(*got))
		}
		if c.PageSize() != 20 {
			t.Errorf("bySkip=%v: PageSize() = %d, want 20 (the size the server honoured)", bySkip, c.PageSize())
		}
	}
}

// TestListShortWithoutCount: a listing without a count whose only page is
// short asks once more with that page's size, and ends on the empty page;
// a later listing of the same route with a smaller page does not ask again
// (the route answered a larger page, so no cap cut this one), nor does a
// first page of fewer than 10 objects. The page size stays as configured.
func TestListShortWithoutCount(t *testing.T) {
	s := newListServer(17)
	srv := serve(t, s.ServeHTTP)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
	list := func(n int) ListResult {
		t.Helper()
		s.mu.Lock()
		s.objs = objects(1, n)
		s.mu.Unlock()
		fn, got := collect()
		res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
		if err != nil || len(*got) != n {
			t.Fatalf("listing %d: %+v, %v", n, res, err)
		}
		return res
	}
	if res := list(17); res.Pages != 2 {
		t.Errorf("17 objects in %d pages, want 2 (the second empty)", res.Pages)
	}
	if res := list(12); res.Pages != 1 {
		t.Errorf("then 12 objects in %d pages, want 1", res.Pages)
	}
	c, _ = newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
	if res := list(9); res.Pages != 1 {
		t.Errorf("9 objects in %d pages, want 1", res.Pages)
	}
	if c.PageSize() != 50 {
		t.Errorf("PageSize() = %d, want 50", c.PageSize())
	}
}

// TestListEnvelopeTotalShort: an envelope's total counts as a count: a
// listing without a count route that stays short of a stable total fails
// with ErrShortListing, never ends as complete.
func TestListEnvelopeTotalShort(t *testing.T) {
	s := newListServer(45)
	s.envelope, s.total = "data", 46
	_, _, err := listAll(t, s, "members", Object{}, nil)
	if !errors.Is(err, ErrShortListing) || !strings.Contains(err.Error(), "listed 45 of 46 members") {
		t.Errorf("err = %v, want listed 45 of 46 members: ErrShortListing", err)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 5260: "5,260", 1234567: "1,234,567", -2630: "-2,630"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestListProbeStopsOnIgnoredPaging: a short first page of an uncounted
// listing is probed for a page cap, but a server that ignores the page
// and answers the whole collection, which grows with each request (the
// request log), ends the probe at once instead of paging it forever.
func TestListProbeStopsOnIgnoredPaging(t *testing.T) {
	s := newListServer(15)
	s.afterPage = func(s *listServer, page int) { s.objs = objects(1, len(s.objs)+1) }
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		r.URL.RawQuery = "page=1&limit=1000" // page and limit ignored
		s.ServeHTTP(w, r)
	})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50; o.MaxPages = 40 })
	fn, got := collect()
	res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
	if err != nil || res.Pages > 2 || len(*got) < 15 {
		t.Fatalf("listing = %+v (%d objects), %v; want at most 2 pages", res, len(*got), err)
	}
}

// TestListProbeGrowthIsNoCap: a collection without a count that gains
// rows while it is listed (the request log gains one with every request,
// and a backup sends several at once) answers a short first page, then a
// full page at that size: the client asks for the first page again at the
// size it wanted, gets more, and keeps its page size (it took the size for
// a cap before, and warned the user to set it).
func TestListProbeGrowthIsNoCap(t *testing.T) {
	s := newListServer(15)
	grown := false
	s.afterPage = func(s *listServer, page int) {
		if !grown {
			grown = true
			s.objs = objects(1, 30)
		}
	}
	srv := serve(t, s.ServeHTTP)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
	fn, got := collect()
	res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
	if err != nil || len(*got) != 30 {
		t.Fatalf("listing = %+v (%d objects), %v; want the 30 rows", res, len(*got), err)
	}
	if c.PageSize() != 50 {
		t.Errorf("PageSize() = %d, want 50: rows added while listing are no page cap", c.PageSize())
	}
}

// TestListCountedChurnIsNoCap: a counted listing whose collection lost a
// row and gained others between the count and its pages holds fewer
// objects than the count after a first page shorter than asked, then finds
// new rows at that size: rows that moved, not a cap. The client keeps its
// page size (it took the short page's size for a cap, and warned the user
// to set it, however small).
func TestListCountedChurnIsNoCap(t *testing.T) {
	for _, n := range []int{30, 5} { // 5: the client took 4 rows a page for the cap
		s := newListServer(n)
		s.counts = true
		counted, paged := false, false
		s.afterCount = func(s *listServer) {
			if !counted {
				counted = true
				s.objs = s.objs[1:] // one row deleted after the count
			}
		}
		s.afterPage = func(s *listServer, page int) {
			if !paged {
				paged = true
				s.objs = append(s.objs, objects(n+1, 2)...) // two added after page 1
			}
		}
		srv := serve(t, s.ServeHTTP)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
		fn, got := collect()
		res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
		if err != nil || len(*got) != n+1 {
			t.Fatalf("n=%d: listing = %+v (%d objects), %v; want the %d rows", n, res, len(*got), err, n+1)
		}
		if c.PageSize() != 50 {
			t.Errorf("n=%d: PageSize() = %d, want 50: rows deleted and added while listing are no page cap", n, c.PageSize())
		}
	}
}

// TestListCapCheckFailureKeepsListing: the listing holds every row when
// the request that confirms a page cap (the first page asked again) fails:
// the listing stands, and the size is not kept.
func TestListCapCheckFailureKeepsListing(t *testing.T) {
	s := newListServer(40)
	s.pageCap = 15
	firsts := 0
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("page") == "1" && q.Get("limit") == "50" {
			if firsts++; firsts > 1 {
				writeJSON(w, 500, `{"statusCode":500,"message":"Internal server error"}`)
				return
			}
		}
		s.ServeHTTP(w, r)
	})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 50 })
	fn, got := collect()
	res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
	if err != nil || len(*got) != 40 {
		t.Fatalf("listing = %+v (%d objects), %v; want the 40 rows: only the cap's confirmation failed", res, len(*got), err)
	}
	if c.PageSize() != 50 {
		t.Errorf("PageSize() = %d, want 50: an unconfirmed cap is not kept", c.PageSize())
	}
}
