package doctor

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// setup starts a fake with opts and returns a loaded config whose only
// workspace, acme, points at it, with the given route overrides.
func setup(t *testing.T, opts fakeapi.Options, key string, routes map[string]string) (*fakeapi.Server, []*config.Workspace) {
	t.Helper()
	srv, err := fakeapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	var b strings.Builder
	fmt.Fprintf(&b, "database: db.db\nenvironments:\n  local:\n    base_url: %s\n    api_key: ${KEY}\n    requests_per_second: 0\n", hs.URL)
	if len(routes) > 0 {
		b.WriteString("    routes:\n")
		for name, path := range routes {
			fmt.Fprintf(&b, "      %s: %s\n", name, path)
		}
	}
	b.WriteString("workspaces:\n  - name: acme\n    environment: local\n")
	lookup := func(k string) (string, bool) {
		if k == "KEY" {
			return key, true
		}
		return "", false
	}
	cfg, err := config.Parse(strings.NewReader(b.String()), "config.yaml", config.Options{LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cfg.Workspaces
}

func run(t *testing.T, ws []*config.Workspace) *Report {
	t.Helper()
	rep, err := Run(context.Background(), Options{Workspaces: ws,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// byRoute returns the checks by route name.
func byRoute(rep *Report) map[string]Check {
	m := map[string]Check{}
	for _, c := range rep.Checks {
		m[c.Route] = c
	}
	return m
}

func TestDemoAllOKAndGETOnly(t *testing.T) {
	srv, ws := setup(t, fakeapi.Options{}, fakeapi.DemoAPIKey, nil)
	rep := run(t, ws)
	if got := rep.Failed(); got != 0 {
		t.Fatalf("failed checks: got %d, want 0: %+v", got, rep.Checks)
	}
	for _, c := range rep.Checks {
		if c.Verdict != VerdictOK {
			t.Errorf("%s: verdict %q, want ok (%s)", c.Route, c.Verdict, c.Detail)
		}
		if strings.Contains(c.Detail, fakeapi.DemoAPIKey) {
			t.Errorf("%s: detail holds the key", c.Route)
		}
	}
	checks := byRoute(rep)
	for _, name := range []string{"config", "reachability", "auth", "key", "workspace.context", "types.list", "types.count",
		"fields.list", "items.list", "items.count", "forms.list", "flows.list", "stages.list", "tasks.list",
		"schedule-tasks.list", "roles.list", "groups.list", "members.list", "quick-tasks.list", "integrations.list",
		"api-keys.list", "request-logs.list"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no check for %s", name)
		}
	}
	counts := srv.Requests()
	if counts.ByMethod["GET"] != counts.Total || counts.Total == 0 {
		t.Errorf("requests by method: got %v of %d, want GET only", counts.ByMethod, counts.Total)
	}
	if counts.Total > 60 {
		t.Errorf("requests: got %d, want a handful per route (at most 60)", counts.Total)
	}
	if len(rep.Overrides) != 0 {
		t.Errorf("overrides: got %v, want none", rep.Overrides)
	}
}

func TestShapes(t *testing.T) {
	other := "en.other00000000000000000000000000000"
	tests := []struct {
		name    string
		opts    fakeapi.Options
		key     string
		routes  map[string]string
		route   string // the check to look at
		verdict string
		detail  string // a substring of its detail
		failed  bool   // whether the report has failures
	}{
		{name: "moved", opts: fakeapi.Options{MovedRoutes: map[string]string{"types.list": "/c-types"}},
			route: "types.list", verdict: NotFound("types.list"), detail: "/c-types answers instead", failed: true},
		{name: "moved and overridden", opts: fakeapi.Options{MovedRoutes: map[string]string{"types.list": "/c-types"}},
			routes: map[string]string{"types.list": "/c-types"},
			route:  "routes.types.list", verdict: VerdictOK, detail: "override in effect: GET /c-types (default GET /ws/types)"},
		{name: "envelope", opts: fakeapi.Options{Envelope: true},
			route: "items.list", verdict: VerdictHandled, detail: `envelope {"data": [...]} with a total`},
		{name: "no count", opts: fakeapi.Options{NoCount: true},
			route: "members.count", verdict: VerdictHandled, detail: "404, no count route"},
		{name: "paging ignored", opts: fakeapi.Options{IgnorePaging: true},
			route: "types.list", verdict: VerdictPagingIgnored, detail: "limit ignored: asked for 2, got 3", failed: true},
		{name: "page ignored", opts: fakeapi.Options{IgnorePage: true},
			route: "types.list", verdict: VerdictPagingIgnored, detail: "page ignored: page 2 repeats page 1", failed: true},
		{name: "bad key", key: other,
			route: "auth", verdict: VerdictUnauthorized, detail: "401", failed: true},
		{name: "no workspace", opts: fakeapi.Options{APIKeys: []fakeapi.Key{{Secret: other, Scopes: []string{"read"}, Workspaces: []string{"acme-stage"}}}},
			key: other, route: "workspace.context", verdict: VerdictNoWorkspace, detail: "Token not authorized for this workspace", failed: true},
		{name: "read-only key", opts: fakeapi.Options{APIKeys: []fakeapi.Key{{Secret: other, Scopes: []string{"read"}, Description: "ro"}}},
			key: other, route: "key", verdict: VerdictOK, detail: "read-only"},
		{name: "failing route", opts: fakeapi.Options{Faults: fakeapi.Faults{FailRoutes: map[string]int{"roles.list": 500}}},
			route: "roles.list", verdict: VerdictError, detail: "500", failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = fakeapi.DemoAPIKey
			}
			srv, ws := setup(t, tt.opts, key, tt.routes)
			rep := run(t, ws)
			c, ok := byRoute(rep)[tt.route]
			if !ok {
				t.Fatalf("no check %s in %+v", tt.route, rep.Checks)
			}
			if c.Verdict != tt.verdict || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("%s: got %q %q, want %q containing %q", tt.route, c.Verdict, c.Detail, tt.verdict, tt.detail)
			}
			if got := rep.Failed() > 0; got != tt.failed {
				t.Errorf("failed: got %v, want %v (%d failed)", got, tt.failed, rep.Failed())
			}
			if n := srv.Requests().ByMethod; len(n) > 1 || (len(n) == 1 && n["GET"] == 0) {
				t.Errorf("methods: got %v, want GET only", n)
			}
		})
	}
}

func TestMovedOverrideReported(t *testing.T) {
	_, ws := setup(t, fakeapi.Options{MovedRoutes: map[string]string{"types.list": "/c-types"}}, fakeapi.DemoAPIKey, nil)
	rep := run(t, ws)
	want := []Override{{Environment: "local", Route: "types.list", Path: "/c-types", Default: "/ws/types"}}
	if fmt.Sprint(rep.Overrides) != fmt.Sprint(want) {
		t.Errorf("overrides: got %v, want %v", rep.Overrides, want)
	}
	// The children were still checked, under the types the guess listed.
	if c := byRoute(rep)["items.list"]; c.Verdict != VerdictOK {
		t.Errorf("items.list: got %q %q, want ok", c.Verdict, c.Detail)
	}
	var b strings.Builder
	if err := WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "environments:\n  local:\n    routes:\n      types.list: /c-types\n") {
		t.Errorf("text output lacks the override lines:\n%s", b.String())
	}
}

// TestPageCap: a server that honours limit only up to 50 is named, with the
// page_size to set; the demo fake honours pages of 100.
func TestPageCap(t *testing.T) {
	_, ws := setup(t, fakeapi.Options{}, fakeapi.DemoAPIKey, nil)
	c := byRoute(run(t, ws))["page_size"]
	if c.Verdict != VerdictOK || !strings.Contains(c.Detail, "pages of 100 honoured") {
		t.Errorf("uncapped: %s %q, want ok, pages of 100 honoured", c.Verdict, c.Detail)
	}
	_, ws = setup(t, fakeapi.Options{PageCap: 50}, fakeapi.DemoAPIKey, nil)
	rep := run(t, ws)
	c = byRoute(rep)["page_size"]
	const want = "the server returns at most 50 per page: set page_size: 50 for environment local"
	if c.Verdict != VerdictHandled || !strings.HasPrefix(c.Detail, want) {
		t.Errorf("capped: %s %q, want handled %q", c.Verdict, c.Detail, want)
	}
	if rep.Failed() != 0 {
		t.Errorf("capped: %d failed checks, want 0 (the client copes)", rep.Failed())
	}
	_, ws = setup(t, fakeapi.Options{Data: "empty"}, fakeapi.DemoAPIKey, nil)
	if c := byRoute(run(t, ws))["page_size"]; c.Verdict != VerdictSkipped {
		t.Errorf("empty: %s %q, want skipped", c.Verdict, c.Detail)
	}
}
