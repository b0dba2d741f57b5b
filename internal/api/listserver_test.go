package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// listServer serves one collection: any path ending in /count answers the
// count, any other path a page of it.
type listServer struct {
	mu           sync.Mutex
	objs         []string
	counts       bool   // serve the count route (else 404)
	envelope     string // "" for a bare array, else the key of the list ("meta": results + meta.total)
	total        int    // the total an envelope gives, -1 for len(objs)
	ignorePaging bool
	// pageCap serves at most pageCap rows a page; pages start at
	// multiples of pageCap, or of the limit asked for with capBySkip.
	pageCap   int
	capBySkip bool
	// dropPage drops the last row of that page: once, or every time with
	// dropAlways.
	dropPage   int
	dropAlways bool
	afterCount func(s *listServer) // runs under mu after a count was served
	afterPage  func(s *listServer, page int)

	barrier   int // pages wait until this many are in flight (or 2s)
	reached   chan struct{}
	once      sync.Once
	inflight  atomic.Int32
	most      atomic.Int32
	pages     []int
	countReqs int
	queries   []string
}

func newListServer(n int) *listServer {
	return &listServer{objs: objects(1, n), total: -1, reached: make(chan struct{})}
}

func (s *listServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/count") {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.countReqs++
		if !s.counts {
			writeJSON(w, 404, `{"statusCode":404,"error":"Not Found","message":"Cannot GET /count"}`)
			return
		}
		writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, len(s.objs)))
		if s.afterCount != nil {
			s.afterCount(s)
		}
		return
	}
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	if s.barrier > 0 {
		if int(n) >= s.barrier {
			s.once.Do(func() { close(s.reached) })
		}
		select {
		case <-s.reached:
		case <-time.After(2 * time.Second):
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req := r
	if s.ignorePaging {
		req = r.Clone(r.Context())
		req.URL.RawQuery = "page=1&limit=" + r.URL.Query().Get("limit")
	}
	list, page := s.pageOf(req)
	s.pages = append(s.pages, page)
	s.queries = append(s.queries, r.URL.RawQuery)
	total := s.total
	if total < 0 {
		total = len(s.objs)
	}
	switch s.envelope {
	case "":
		writeJSON(w, 200, list)
	case "meta":
		writeJSON(w, 200, fmt.Sprintf(`{"results": %s, "meta": {"total": %d}}`, list, total))
	default:
		writeJSON(w, 200, fmt.Sprintf(`{"%s": %s, "total": %d}`, s.envelope, list, total))
	}
	if s.afterPage != nil {
		s.afterPage(s, page)
	}
}

// listAll lists kind with a client of PageSize 10 against s.
func listAll(t *testing.T, s *listServer, kind string, parent Object, edit func(*Options)) (ListResult, []Object, error) {
	t.Helper()
	srv := serve(t, s.ServeHTTP)
	c, _ := newTestClient(t, srv.URL, func(o *Options) {
		o.PageSize = 10
		if edit != nil {
			edit(o)
		}
	})
	var (
		got     []Object
		inFn    atomic.Int32
		overlap atomic.Bool
	)
	res, err := c.List(context.Background(), mustKind(t, kind), "acme", parent, func(page []Object) error {
		if inFn.Add(1) > 1 {
			overlap.Store(true)
		}
		defer inFn.Add(-1)
		if len(page) == 0 {
			t.Error("fn called with an empty page")
		}
		got = append(got, page...)
		return nil
	})
	if overlap.Load() {
		t.Error("fn was called concurrently")
	}
	return res, got, err
}

// pageOf returns the page r asks for, capped and shortened as s says.
func (s *listServer) pageOf(r *http.Request) (string, int) {
	if s.pageCap == 0 && s.dropPage == 0 {
		return pageOf(s.objs, r)
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, limit = max(page, 1), max(limit, 1)
	size, step := limit, limit
	if s.pageCap > 0 && size > s.pageCap {
		size = s.pageCap
		if !s.capBySkip {
			step = s.pageCap
		}
	}
	lo := min((page-1)*step, len(s.objs))
	hi := min(lo+size, len(s.objs))
	if page == s.dropPage && hi > lo {
		hi--
		if !s.dropAlways {
			s.dropPage = 0
		}
	}
	return "[" + join(s.objs[lo:hi]) + "]", page
}
