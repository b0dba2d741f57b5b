package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func sortedIDs(objs []Object) []int {
	out := make([]int, len(objs))
	for i, o := range objs {
		out[i], _ = strconv.Atoi(o.ID)
	}
	slices.Sort(out)
	return out
}

func seq(first, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}

func TestListParallelWithCount(t *testing.T) {
	tests := []struct {
		n, pages int
	}{
		{95, 10},  // the last counted page is short: done
		{100, 11}, // the last counted page is full: one more, empty
		{0, 1},    // a count of 0 still looks at page 1
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			s := newListServer(tt.n)
			s.counts = true
			if tt.n >= 40 {
				s.barrier = 4
			}
			res, got, err := listAll(t, s, "members", Object{}, func(o *Options) { o.Concurrency = 4 })
			if err != nil {
				t.Fatal(err)
			}
			want := ListResult{Objects: tt.n, Pages: tt.pages, Count: tt.n, Counted: true}
			if res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			if !slices.Equal(sortedIDs(got), seq(1, tt.n)) {
				t.Errorf("ids = %v, want 1..%d", sortedIDs(got), tt.n)
			}
			if s.barrier > 0 && s.most.Load() != 4 {
				t.Errorf("at most %d pages in flight, want 4 (parallel, capped)", s.most.Load())
			}
			if s.countReqs != 2 {
				t.Errorf("%d count requests, want 2 (before and after paging)", s.countReqs)
			}
			if len(got) > 0 && (got[0].Kind != kind.Members || got[0].Parent != "") {
				t.Errorf("object filed as %q under %q", got[0].Kind, got[0].Parent)
			}
		})
	}
}

func TestListSequentialWithoutCount(t *testing.T) {
	for _, kind := range []string{"members", "groups"} { // count answers 404; no count route
		t.Run(kind, func(t *testing.T) {
			s := newListServer(25)
			res, got, err := listAll(t, s, kind, Object{}, func(o *Options) { o.Concurrency = 4 })
			if err != nil {
				t.Fatal(err)
			}
			// Three pages, read once more: without a count, only a
			// second pass tells whether paging skipped rows.
			if want := (ListResult{Objects: 25, Pages: 6}); res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			if !slices.Equal(ids(got), ids(objectsOf(t, kind, 1, 25))) {
				t.Errorf("ids = %v, want 1..25 in order", ids(got))
			}
			if !slices.Equal(s.pages, []int{1, 2, 3, 1, 2, 3}) || s.most.Load() != 1 {
				t.Errorf("pages %v with %d in flight, want 1, 2, 3 twice, one by one", s.pages, s.most.Load())
			}
			wantCounts := map[string]int{"members": 1, "groups": 0}[kind]
			if s.countReqs != wantCounts {
				t.Errorf("%d count requests, want %d", s.countReqs, wantCounts)
			}
		})
	}
}

func objectsOf(t *testing.T, kind string, first, n int) []Object {
	out := make([]Object, n)
	for i, raw := range objects(first, n) {
		o, err := NewObject(mustKind(t, kind), "", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = o
	}
	return out
}

func TestListPicksUpRowsAddedWhilePaging(t *testing.T) {
	s := newListServer(30)
	s.counts = true
	added := false
	s.afterCount = func(s *listServer) {
		if !added {
			s.objs = append(s.objs, objects(31, 15)...)
			added = true
		}
	}
	res, got, err := listAll(t, s, "members", Object{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The count moved: the 5 pages are read once more, for rows the
	// offset paging may have skipped (none here); the rows that come
	// again are not rows the server repeated.
	want := ListResult{Objects: 45, Pages: 10, Duplicates: 0, Count: 30, Counted: true, Drift: true}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if !slices.Equal(sortedIDs(got), seq(1, 45)) {
		t.Errorf("ids = %v, want 1..45", sortedIDs(got))
	}
}

func TestListDeduplicatesShiftedRows(t *testing.T) {
	s := newListServer(30)
	s.afterPage = func(s *listServer, page int) {
		if page == 1 { // a row inserted at the top shifts every row by one
			s.objs = append(objects(1000, 1), s.objs...)
		}
	}
	res, got, err := listAll(t, s, "groups", Object{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The second pass finds the row added at the top: added, not
	// skipped (it came before every row listed), so no drift.
	if want := (ListResult{Objects: 31, Pages: 8, Duplicates: 1}); res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if want := append(seq(1, 30), 1000); !slices.Equal(sortedIDs(got), want) {
		t.Errorf("ids = %v, want 1..30 and 1000 once each", sortedIDs(got))
	}
}

func TestListRepeatedPage(t *testing.T) {
	for _, counts := range []bool{false, true} {
		t.Run(fmt.Sprint("counts=", counts), func(t *testing.T) {
			s := newListServer(50)
			s.counts, s.ignorePaging = counts, true
			_, _, err := listAll(t, s, "members", Object{}, nil)
			if !errors.Is(err, ErrRepeatedPage) {
				t.Fatalf("err = %v, want ErrRepeatedPage", err)
			}
			if !strings.Contains(err.Error(), "list members") || !strings.Contains(err.Error(), "page ") {
				t.Errorf("error %q does not name the kind and page", err)
			}
		})
	}
}

func TestListRouteWithQuery(t *testing.T) {
	s := newListServer(12)
	parent := Object{Kind: "types", ID: "7", Key: "con tracts"}
	res, got, err := listAll(t, s, "flows", parent, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 12 || res.Pages != 4 {
		t.Errorf("result = %+v, want 12 objects in 2 pages, read twice", res)
	}
	want := []string{"limit=10&page=1&type=con+tracts", "limit=10&page=2&type=con+tracts",
		"limit=10&page=1&type=con+tracts", "limit=10&page=2&type=con+tracts"}
	if !slices.Equal(s.queries, want) {
		t.Errorf("queries = %q, want %q", s.queries, want)
	}
	if got[0].Kind != kind.Flows || got[0].Parent != "con tracts" {
		t.Errorf("object filed as %q under %q, want flows under the type's slug", got[0].Kind, got[0].Parent)
	}
}

func TestListEnvelopes(t *testing.T) {
	for _, env := range []string{"data", "items", "results", "meta"} {
		for _, total := range []int{-1, 40} {
			t.Run(fmt.Sprint(env, total), func(t *testing.T) {
				s := newListServer(25)
				s.envelope, s.total = env, total
				res, got, err := listAll(t, s, "groups", Object{}, nil)
				// Three pages, read twice: a total does not show rows
				// deleted and as many added while the listing paged.
				want := ListResult{Objects: 25, Pages: 6, Count: 25, Counted: true}
				if total >= 0 {
					// The envelope's total is a count: 25 of 40 is short.
					want.Count, want.Drift = total, true
					if !errors.Is(err, ErrShortListing) || !strings.Contains(err.Error(), "listed 25 of 40 groups") {
						t.Errorf("err = %v, want listed 25 of 40 groups: ErrShortListing", err)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if res != want {
					t.Errorf("result = %+v, want %+v", res, want)
				}
				if !slices.Equal(sortedIDs(got), seq(1, 25)) {
					t.Errorf("ids = %v", sortedIDs(got))
				}
			})
		}
	}
}

func TestListSingleton(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/workspaces/context" || r.Header.Get("en-workspace") != "acme" {
			writeJSON(w, 404, `{}`)
			return
		}
		writeJSON(w, 200, `{"id": "ws-1", "slug": "acme", "name": "Acme"}`)
	})
	c, _ := newTestClient(t, srv.URL, nil)
	fn, got := collect()
	res, err := c.List(context.Background(), mustKind(t, "workspace"), "acme", Object{}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if res != (ListResult{Objects: 1, Pages: 1}) || len(*got) != 1 || (*got)[0].Key != "acme" || (*got)[0].ID != "ws-1" {
		t.Errorf("List = %+v, %+v", res, *got)
	}
}

func TestListTooManyPages(t *testing.T) {
	endless := newListServer(0)
	endless.afterPage = func(s *listServer, page int) { s.objs = append(s.objs, objects(page*10+1, 10)...) }
	endless.objs = objects(1, 10)
	res, _, err := listAll(t, endless, "groups", Object{}, func(o *Options) { o.MaxPages = 3 })
	if !errors.Is(err, ErrTooManyPages) || res.Pages != 3 {
		t.Errorf("endless pages: %+v, %v; want ErrTooManyPages after 3 pages", res, err)
	}

	counted := newListServer(1000)
	counted.counts = true
	res, _, err = listAll(t, counted, "members", Object{}, func(o *Options) { o.MaxPages = 5 })
	if !errors.Is(err, ErrTooManyPages) || res.Pages != 0 || len(counted.pages) != 0 {
		t.Errorf("huge count: %+v, %v, pages %v; want ErrTooManyPages before paging", res, err, counted.pages)
	}
}

func TestListErrors(t *testing.T) {
	stop := errors.New("stop")
	s := newListServer(30)
	srv := serve(t, s.ServeHTTP)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
	ctx := context.Background()

	_, err := c.List(ctx, mustKind(t, "groups"), "acme", Object{}, func([]Object) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn error: got %v, want it returned", err)
	}
	_, err = c.List(ctx, mustKind(t, "items"), "acme", Object{}, func([]Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "needs a parent of kind types") {
		t.Errorf("no parent: got %v", err)
	}
	_, err = c.List(ctx, mustKind(t, "stats"), "acme", Object{}, func([]Object) error { return nil })
	if !errors.Is(err, ErrInvalidBody) || !strings.Contains(err.Error(), "list stats") {
		t.Errorf("singleton answered with a list: got %v, want ErrInvalidBody", err)
	}

	s.mu.Lock()
	s.objs = append(s.objs[:5], `{"name": "no id"}`)
	s.mu.Unlock()
	_, err = c.List(ctx, mustKind(t, "groups"), "acme", Object{}, func([]Object) error { return nil })
	if !errors.Is(err, ErrInvalidBody) || !strings.Contains(err.Error(), "page 1") {
		t.Errorf("element without id: got %v, want ErrInvalidBody on page 1", err)
	}
}

// TestListLent: ListLent hands fn the objects List does (ids, keys, bytes
// and sums), page after page read into buffers used again, when fn
// copies the bytes it keeps.
func TestListLent(t *testing.T) {
	s := newListServer(95)
	s.counts = true
	srv := serve(t, s.ServeHTTP)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10; o.Concurrency = 4 })
	k := mustKind(t, "members")
	collect := func(list func(context.Context, *kind.Kind, string, Object, func([]Object) error) (ListResult, error)) (ListResult, map[string]Object) {
		got := map[string]Object{}
		res, err := list(context.Background(), k, "acme", Object{}, func(page []Object) error {
			for _, o := range page {
				o.Raw = slices.Clone(o.Raw)
				got[o.ID] = o
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return res, got
	}
	wantRes, want := collect(c.List)
	for range 3 { // later listings read into the buffers of earlier ones
		res, got := collect(c.ListLent)
		if res != wantRes || len(got) != 95 {
			t.Fatalf("ListLent: %+v, %d objects; List: %+v", res, len(got), wantRes)
		}
		for id, o := range got {
			w := want[id]
			if o.Key != w.Key || string(o.Raw) != string(w.Raw) || o.Sum != w.Sum || !o.Summed || o.Kind != w.Kind {
				t.Fatalf("object %s: ListLent %+v, List %+v", id, o, w)
			}
		}
	}
}
