package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// countStatusServer serves 25 members; its count route answers status.
func countStatusServer(status int, countReqs *atomic.Int32) http.HandlerFunc {
	s := newListServer(25)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/count") {
			countReqs.Add(1)
			writeJSON(w, status, fmt.Sprintf(`{"statusCode":%d,"error":%q,"message":"Validation failed (numeric string is expected)"}`, status, http.StatusText(status)))
			return
		}
		s.ServeHTTP(w, r)
	}
}

// TestCountRouteNoCountStatuses: a count route answering 400, 404, 405,
// 422 or 501 means "no count here": the listing goes on without a count
// and holds every object, and the first such answer is logged once, with a
// hint. 400 is what an assumed /members/count landing on /members/{id}
// answers; it used to fail the kind on every run. A 500 still fails it.
func TestCountRouteNoCountStatuses(t *testing.T) {
	for _, status := range []int{400, 404, 405, 422, 501, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var reqs atomic.Int32
			srv := serve(t, countStatusServer(status, &reqs))
			var logs bytes.Buffer
			c, _ := newTestClient(t, srv.URL, func(o *Options) {
				o.PageSize, o.MaxAttempts = 10, 2
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			for i := 0; i < 2; i++ {
				fn, got := collect()
				res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
				if status == 500 {
					if StatusOf(err) != 500 {
						t.Fatalf("err = %v, want the 500", err)
					}
					return
				}
				if err != nil || res.Objects != 25 || res.Counted || len(*got) != 25 {
					t.Fatalf("listing %d: %+v, %v; want 25 objects without a count", i, res, err)
				}
			}
			if n := strings.Count(logs.String(), "the count route answers no count"); n != 1 {
				t.Errorf("logged %d times, want once:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), "members.count: none") {
				t.Errorf("log has no hint to switch the route off:\n%s", logs.String())
			}
		})
	}
}

// TestCountRouteSwitchedOff: a count route switched off in the config
// ("none" or empty) is never asked; the listing goes on without a count.
// Only count routes can be switched off.
func TestCountRouteSwitchedOff(t *testing.T) {
	for _, value := range []string{"none", "", " NONE "} {
		routes, err := DefaultRoutes().WithOverrides(map[string]string{"members.count": value})
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		if !routes["members.count"].Off() {
			t.Fatalf("%q: route not off", value)
		}
		var reqs atomic.Int32
		srv := serve(t, countStatusServer(500, &reqs))
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize, o.Routes = 10, routes })
		fn, _ := collect()
		res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
		if err != nil || res.Objects != 25 || res.Counted || reqs.Load() != 0 {
			t.Errorf("%q: %+v, %v, %d count requests; want 25 objects, none", value, res, err, reqs.Load())
		}
	}
	_, err := DefaultRoutes().WithOverrides(map[string]string{"members.list": "none"})
	if err == nil || !strings.Contains(err.Error(), "routes.members.list: only a count route, or the list or get route of a kind the API cannot write") {
		t.Errorf("switching off members.list: err = %v", err)
	}
	if _, err := DefaultRoutes().WithOverrides(map[string]string{"members.get": ""}); err == nil {
		t.Error("switching off members.get: no error")
	}
}

// TestReadRouteSwitchedOff: the list and get routes of a kind the API
// cannot write, with nothing writable below it (schedule tasks, forms, the
// audit kinds), can be switched off; List and Get of the kind then fail
// with ErrRouteOff without a request. The read routes of a writable kind,
// or of flows and stages (tasks live below them), cannot.
func TestReadRouteSwitchedOff(t *testing.T) {
	for _, name := range []string{"schedule-tasks.list", "schedule-tasks.get", "forms.list", "api-keys.list", "request-logs.list", "workspace.stats"} {
		routes, err := DefaultRoutes().WithOverrides(map[string]string{name: "none"})
		if err != nil || !routes[name].Off() {
			t.Errorf("switching off %s: %v", name, err)
		}
	}
	for _, name := range []string{"members.list", "items.get", "flows.list", "stages.list", "tasks.list", "workspace.context", "schedule-tasks.delete"} {
		if _, err := DefaultRoutes().WithOverrides(map[string]string{name: "none"}); err == nil {
			t.Errorf("switching off %s: no error", name)
		}
	}
	var reqs atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { reqs.Add(1); writeJSON(w, 200, `[]`) })
	routes, _ := DefaultRoutes().WithOverrides(map[string]string{"schedule-tasks.list": "none", "workspace.stats": "none"})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Routes = routes })
	fn, _ := collect()
	if _, err := c.List(context.Background(), mustKind(t, "schedule-tasks"), "acme", Object{}, fn); !errors.Is(err, ErrRouteOff) {
		t.Errorf("List schedule-tasks: %v, want ErrRouteOff", err)
	}
	if _, err := c.List(context.Background(), mustKind(t, "stats"), "acme", Object{}, fn); !errors.Is(err, ErrRouteOff) {
		t.Errorf("List stats: %v, want ErrRouteOff", err)
	}
	if reqs.Load() != 0 {
		t.Errorf("%d requests sent, want none", reqs.Load())
	}
}
