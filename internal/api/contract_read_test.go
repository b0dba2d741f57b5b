package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// volatileKinds are kinds whose objects change with the requests that read
// them: the request log records every request, so two walks never agree.
var volatileKinds = []string{"request-logs"}

// TestContractReads walks the workspace and checks what it read: against
// the fake, with the fake's own figures; against a real server (see
// contract_target_test.go), for consistency between list, get and count.
func TestContractReads(t *testing.T) {
	contractReads(t)
}

func contractReads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, setup{})
	snap, err := walk(ctx, e, e.ws)
	noKey(t, err)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}

	t.Run("list", func(t *testing.T) {
		for name, res := range snap.results {
			if res.Drift || res.Duplicates != 0 {
				t.Errorf("%s: %+v, want no drift and no duplicates", name, res)
			}
		}
		// Every listed kind is in the walk, and child kinds were listed
		// under each parent.
		for _, k := range kind.All() {
			if len(snap.objs[k.Name]) == 0 && k.Name != kind.RequestLogs && !e.real() {
				t.Errorf("%s: nothing listed", k.Name)
			}
			for _, l := range snap.objs[k.Name] {
				if l.obj.Kind != k.Name || (k.Parent != "" && (l.parent.Kind != k.Parent || l.obj.Parent == "")) {
					t.Errorf("%s: object %+v filed under %+v", k.Name, l.obj, l.parent)
					break
				}
			}
		}
		if ws := snap.objs["workspace"]; len(ws) != 1 || ws[0].obj.Key != e.ws {
			t.Errorf("workspace context: %d objects, want 1 with key %q", len(ws), e.ws)
		}
	})

	t.Run("list counts", func(t *testing.T) {
		needFake(t, e, "compares the listing with the figures of the fake's seeded workspace")
		w := e.srv.Workspace(e.ws)
		counts := w.Counts()
		for _, tt := range []struct {
			kind string
			want int
		}{
			{"workspace", 1}, {"stats", 1},
			{"types", counts.Types}, {"fields", counts.Fields}, {"items", counts.Items},
			{"forms", counts.Forms}, {"flows", counts.Flows}, {"stages", counts.Stages},
			{"tasks", counts.Tasks}, {"schedule-tasks", counts.ScheduleTasks}, {"roles", counts.Roles},
			{"groups", counts.MemberGroups}, {"members", counts.Members},
			{"quick-tasks", counts.QuickTasks}, {"integrations", counts.Integrations},
			{"api-keys", 1},
		} {
			if got := len(snap.objs[tt.kind]); got != tt.want || got == 0 {
				t.Errorf("%s: listed %d, the server holds %d", tt.kind, got, tt.want)
			}
		}
		if got, want := len(snap.objs["items"]), len(w.ItemIDs("clients"))+len(w.ItemIDs("contracts"))+len(w.ItemIDs("invoices")); got != want {
			t.Errorf("items: %d listed, %d in clients, contracts and invoices", got, want)
		}
	})

	t.Run("singletons", func(t *testing.T) {
		needFake(t, e, "checks the workspace context and stats against the fake's seeded workspace")
		w := e.srv.Workspace(e.ws)
		counts := w.Counts()
		ws := snap.objs["workspace"][0].obj
		m := decode(t, ws.Raw)
		if ws.Key != "acme" || ws.ID != w.ID() || m["slug"] != "acme" || m["name"] != "Acme" {
			t.Errorf("workspace context: key %q id %q %s", ws.Key, ws.ID, ws.Raw)
		}
		var got fakeapi.Counts
		if err := json.Unmarshal(snap.objs["stats"][0].obj.Raw, &got); err != nil {
			t.Fatal(err)
		}
		if got != counts {
			t.Errorf("stats %+v, want %+v", got, counts)
		}
		perms := 0
		for _, l := range snap.objs["roles"] {
			perms += len(decode(t, l.obj.Raw)["permissions"].([]any))
		}
		if got.Permissions != perms || got.Types != len(snap.objs["types"]) || got.Items != len(snap.objs["items"]) {
			t.Errorf("stats %+v disagree with the listing (%d permissions)", got, perms)
		}
	})

	t.Run("get", func(t *testing.T) {
		for _, k := range kind.All() {
			if k.Get == "" || k.Singleton {
				continue
			}
			for _, l := range snap.objs[k.Name] {
				params := objectParams(t, k.Get, k, l.parent, l.obj)
				o, err := e.c.Get(ctx, k, e.ws, params)
				noKey(t, err)
				if err != nil {
					t.Errorf("get %s %s: %v", k.Name, l.obj.Key, err)
					continue
				}
				if string(o.Raw) != string(l.obj.Raw) || o.ID != l.obj.ID || o.Key != l.obj.Key || o.Parent != l.obj.Parent {
					t.Errorf("get %s %s:\n got  %s %s/%s\n list %s %s/%s", k.Name, l.obj.Key,
						o.Raw, o.Parent, o.Key, l.obj.Raw, l.obj.Parent, l.obj.Key)
				}
			}
		}
	})

	t.Run("count", func(t *testing.T) {
		for _, k := range kind.All() {
			if k.Count == "" {
				continue
			}
			parents := []api.Object{{}}
			if k.Parent != "" {
				parents = parents[:0]
				for _, p := range snap.objs[k.Parent] {
					parents = append(parents, p.obj)
				}
			}
			for _, p := range parents {
				params, err := api.ParentParams(k, p)
				if err != nil {
					t.Fatal(err)
				}
				n, ok, err := e.c.Count(ctx, k, e.ws, params)
				noKey(t, err)
				want := 0
				for _, l := range snap.objs[k.Name] {
					if l.obj.Parent == p.Key || k.Parent == "" {
						want++
					}
				}
				if err != nil || !ok || n != want {
					t.Errorf("count %s under %q = %d, %v, %v; listed %d", k.Name, p.Key, n, ok, err, want)
				}
			}
		}
	})

	t.Run("request logs", func(t *testing.T) {
		k := kindOf(t, "request-logs")
		var paths []string
		_, err := e.c.List(ctx, k, "", api.Object{}, func(objs []api.Object) error {
			for _, o := range objs {
				paths = append(paths, decode(t, o.Raw)["path"].(string))
			}
			return nil
		})
		noKey(t, err)
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(paths, "\n")
		for _, want := range []string{"/workspaces/context", "/workspaces/stats", "/ws/types/count", "/user-api-keys?limit=7&page=1"} {
			if !strings.Contains(joined, want) {
				t.Errorf("request log has no %s among %d entries", want, len(paths))
			}
		}
	})

	if e.real() {
		return // what follows counts the fake's requests
	}
	// Every read route the kind table declares was served.
	served := e.srv.Requests().ByRoute
	for _, k := range kind.All() {
		for _, route := range []string{k.List, k.Get, k.Count} {
			if route != "" && served[route] == 0 {
				t.Errorf("%s: route %s never served", k.Name, route)
			}
		}
	}
	if n := served["unmatched"]; n != 0 {
		t.Errorf("%d requests matched no route", n)
	}
}

// TestContractListShapes lists the demo workspace from servers that answer
// envelopes, have no counts, or both, with several page sizes: every
// listing holds exactly the objects, byte for byte, of bare arrays with
// counts.
func TestContractListShapes(t *testing.T) {
	skipIfReal(t, "it starts fakes that answer envelopes, lack counts or differ in page sizes")
	ctx := context.Background()
	base := newEnv(t, setup{pageSize: api.MaxPageSize})
	want, err := walk(ctx, base, "acme")
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	for _, tt := range []struct {
		name     string
		fake     fakeapi.Options
		pageSize int
	}{
		{"bare, 7 per page", fakeapi.Options{}, 7},
		{"bare, 10 per page", fakeapi.Options{}, 10},
		{"envelope, 7 per page", fakeapi.Options{Envelope: true}, 7},
		{"envelope, 100 per page", fakeapi.Options{Envelope: true}, 100},
		{"no count, 7 per page", fakeapi.Options{NoCount: true}, 7},
		{"no count, 10 per page", fakeapi.Options{NoCount: true}, 10},
		{"envelope without count, 9 per page", fakeapi.Options{Envelope: true, NoCount: true}, 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{fake: tt.fake, pageSize: tt.pageSize})
			got, err := walk(ctx, e, e.ws)
			noKey(t, err)
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			if d := diffRaw(without(want.raw, volatileKinds...), without(got.raw, volatileKinds...)); d != "" {
				t.Errorf("objects differ from bare arrays:\n%s", d)
			}
			for name, res := range got.results {
				if strings.HasPrefix(name, "request-logs/") {
					continue
				}
				if res.Drift || res.Duplicates != 0 {
					t.Errorf("%s: %+v, want no drift and no duplicates", name, res)
				}
				// Without counts the client knows a total only from an
				// envelope; it pages one by one until a short page.
				if tt.fake.NoCount && res.Counted != tt.fake.Envelope && !strings.HasPrefix(name, "workspace/") && !strings.HasPrefix(name, "stats/") {
					t.Errorf("%s: counted %v", name, res.Counted)
				}
				// A listing without a count route (with or without an
				// envelope's total) of more than a page is read twice:
				// only the second pass tells skipped rows.
				pages := res.Objects/tt.pageSize + 1
				if (!res.Counted || tt.fake.NoCount) && res.Objects > tt.pageSize {
					pages *= 2
				}
				if n := res.Objects; !strings.HasPrefix(name, "workspace/") && !strings.HasPrefix(name, "stats/") && res.Pages != pages {
					t.Errorf("%s: %d objects in %d pages of %d", name, n, res.Pages, tt.pageSize)
				}
			}
			// A count route that answers 404 means "no count", not an error.
			n, ok, err := e.c.Count(ctx, kindOf(t, "types"), "acme", nil)
			if err != nil || ok == tt.fake.NoCount || (ok && n != 3) {
				t.Errorf("count types: %d, %v, %v", n, ok, err)
			}
			c := e.srv.Requests()
			if tt.fake.NoCount && c.ByStatus[404] == 0 {
				t.Errorf("no count route answered 404: %v", c.ByStatus)
			}
			if !tt.fake.NoCount && c.ByStatus[404] != 0 {
				t.Errorf("%d answers 404", c.ByStatus[404])
			}
		})
	}
}

// TestContractIgnoredPage checks that a server that ignores "page" (every
// page is the first) ends a listing with ErrRepeatedPage rather than a
// loop, with or without counts, while a collection that fits one page
// lists fine.
func TestContractIgnoredPage(t *testing.T) {
	skipIfReal(t, "it needs a fake that ignores the page parameter")
	ctx := context.Background()
	items, types := kindOf(t, "items"), kindOf(t, "types")
	contracts := api.Object{Kind: "types", ID: "2", Key: "contracts"}
	for _, tt := range []struct {
		name string
		fake fakeapi.Options
	}{
		{"with counts", fakeapi.Options{IgnorePage: true}},
		{"without counts", fakeapi.Options{IgnorePage: true, NoCount: true}},
		{"envelope", fakeapi.Options{IgnorePage: true, Envelope: true}},
		{"shuffled rows", fakeapi.Options{IgnorePage: true, NoCount: true, ShuffleLists: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{fake: tt.fake, pageSize: 10})
			seen := 0
			res, err := e.c.List(ctx, items, "acme", contracts, func(objs []api.Object) error {
				seen += len(objs)
				return nil
			})
			noKey(t, err)
			if !errors.Is(err, api.ErrRepeatedPage) {
				t.Fatalf("list items: %v, want ErrRepeatedPage", err)
			}
			if seen > 10 || res.Objects != seen {
				t.Errorf("handed %d objects (result %+v), want at most one page", seen, res)
			}
			if got := e.srv.Requests().ByRoute["items.list"]; got > 9 {
				t.Errorf("%d item pages asked for 90 items", got)
			}
			n := 0
			if _, err := e.c.List(ctx, types, "acme", api.Object{}, func(objs []api.Object) error {
				n += len(objs)
				return nil
			}); err != nil || n != 3 {
				t.Errorf("list types: %d, %v; want the 3 types", n, err)
			}
		})
	}
}
