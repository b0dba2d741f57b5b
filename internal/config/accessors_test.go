package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

func TestWorkspaceLookup(t *testing.T) {
	c := mustParse(t, baseConfig, baseEnv())
	w, err := c.Workspace("beta")
	if err != nil {
		t.Fatalf("Workspace(beta): %v", err)
	}
	if got, want := w.Env(), c.Environments["stage"]; got != want {
		t.Errorf("beta.Env() = %p, want stage %p", got, want)
	}
	_, err = c.Workspace("gamma")
	if !errors.Is(err, ErrUnknownWorkspace) {
		t.Fatalf("Workspace(gamma) = %v, want ErrUnknownWorkspace", err)
	}
	if got, want := err.Error(), `unknown workspace "gamma" (workspaces: acme, beta)`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestRoutes(t *testing.T) {
	doc := replace(t, baseConfig, "      items.list: /ws/types/{type}/records\n",
		"      items.list: /ws/types/{type}/records\n      types.update: PATCH /ws/types/{type}\n")
	c := mustParse(t, doc, baseEnv())
	routes := c.Environments["production"].Routes()
	defaults := api.DefaultRoutes()
	cases := []struct {
		name         string
		method, path string
	}{
		{"items.list", "GET", "/ws/types/{type}/records"},
		{"types.update", "PATCH", "/ws/types/{type}"},
		{"items.get", defaults["items.get"].Method, defaults["items.get"].Path},
	}
	for _, c := range cases {
		if got := routes[c.name]; got.Method != c.method || got.Path != c.path {
			t.Errorf("%s = %s %s, want %s %s", c.name, got.Method, got.Path, c.method, c.path)
		}
	}
	if got, want := len(routes), len(defaults); got != want {
		t.Errorf("len(routes) = %d, want %d", got, want)
	}
	if got, want := c.Environments["stage"].Routes()["items.list"].Path, defaults["items.list"].Path; got != want {
		t.Errorf("stage items.list = %q, want the default %q", got, want)
	}
	bad := &Environment{RouteOverrides: map[string]string{"nope": "/x"}}
	if got, want := bad.Routes()["items.list"].Path, defaults["items.list"].Path; got != want {
		t.Errorf("Routes with a bad override = %q, want the defaults", got)
	}
}

func TestIncludes(t *testing.T) {
	type call struct {
		kind, typeSlug string
		want           bool
	}
	cases := []struct {
		name             string
		include, exclude []string
		calls            []call
	}{
		{"everything", nil, nil, []call{
			{"members", "", true}, {"items", "contracts", true}, {"request-logs", "", true},
		}},
		{"a kind", []string{"items"}, nil, []call{
			{"items", "contracts", true}, {"items", "orders", true}, {"types", "contracts", false}, {"members", "", false},
		}},
		{"a type slug", []string{"contracts"}, nil, []call{
			{"types", "contracts", true}, {"fields", "contracts", true}, {"items", "contracts", true},
			{"flows", "contracts", true}, {"items", "orders", false}, {"members", "", false},
		}},
		{"kind and type", []string{"contracts", "roles"}, nil, []call{
			{"roles", "", true}, {"forms", "contracts", true}, {"forms", "orders", false},
		}},
		{"exclude wins", []string{"contracts", "items"}, []string{"items"}, []call{
			{"items", "contracts", false}, {"fields", "contracts", true},
		}},
		{"exclude a type", nil, []string{"orders"}, []call{
			{"items", "orders", false}, {"types", "orders", false}, {"items", "contracts", true}, {"members", "", true},
		}},
		{"exclude flows takes stages and tasks", nil, []string{"flows"}, []call{
			{"flows", "contracts", false}, {"stages", "contracts", false}, {"tasks", "contracts", false}, {"forms", "contracts", true},
		}},
		{"include flows brings stages and tasks", []string{"flows"}, nil, []call{
			{"stages", "contracts", true}, {"tasks", "", true}, {"forms", "contracts", false},
		}},
		{"types names only the types kind", []string{"types"}, nil, []call{
			{"types", "contracts", true}, {"fields", "contracts", false}, {"items", "contracts", false},
		}},
		{"a kind name is not a type slug", []string{"tasks"}, nil, []call{
			{"items", "tasks", false}, {"tasks", "", true},
		}},
	}
	for _, c := range cases {
		w := &Workspace{Include: c.include, Exclude: c.exclude}
		for _, k := range c.calls {
			if got := w.Includes(k.kind, k.typeSlug); got != k.want {
				t.Errorf("%s: Includes(%q, %q) = %v, want %v", c.name, k.kind, k.typeSlug, got, k.want)
			}
		}
	}
}

func TestLog(t *testing.T) {
	systemd := func(k string) string {
		if k == "INVOCATION_ID" {
			return "abc"
		}
		return ""
	}
	none := func(string) string { return "" }
	cases := []struct {
		format string
		getenv func(string) string
		want   bool
	}{
		{"auto", systemd, true}, {"auto", none, false}, {"", systemd, true},
		{"json", none, true}, {"text", systemd, false},
	}
	for _, c := range cases {
		if got := (Log{Format: c.format}).JSON(c.getenv); got != c.want {
			t.Errorf("Log{Format: %q}.JSON = %v, want %v", c.format, got, c.want)
		}
	}
	journal := func(k string) string {
		if k == "JOURNAL_STREAM" {
			return "8:12345"
		}
		return ""
	}
	if !(Log{Format: "auto"}).JSON(journal) {
		t.Errorf("auto with $JOURNAL_STREAM is not JSON")
	}
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "WARN": slog.LevelWarn, "error": slog.LevelError}
	for in, want := range levels {
		if got := (Log{Level: in}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLocation(t *testing.T) {
	for _, c := range []struct{ tz, want string }{{"", "Local"}, {"Local", "Local"}, {"UTC", "UTC"}, {"America/Sao_Paulo", "America/Sao_Paulo"}} {
		loc, err := (&Config{Timezone: c.tz}).Location()
		if err != nil || loc.String() != c.want {
			t.Errorf("Location(%q) = %v, %v; want %s", c.tz, loc, err, c.want)
		}
	}
	if loc, _ := (&Config{}).Location(); loc != time.Local {
		t.Errorf("Location() = %v, want time.Local", loc)
	}
}

func TestProblemString(t *testing.T) {
	cases := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "c.yaml", Line: 3, Path: "log.level", Msg: "bad"}, "c.yaml:3: log.level: bad"},
		{Problem{File: "c.yaml", Msg: "empty"}, "c.yaml: empty"},
		{Problem{Line: 4, Msg: "x"}, "line 4: x"},
		{Problem{Path: "listen", Msg: "x"}, "listen: x"},
	}
	for _, c := range cases {
		if got := c.p.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	if got, want := parentPath(`environments["a b"].routes.items.list`), `environments["a b"].routes.items`; got != want {
		t.Errorf("parentPath = %q, want %q", got, want)
	}
	if !strings.Contains(childPath("a", "b c"), `["b c"]`) {
		t.Errorf("childPath does not quote a key with a space")
	}
}

func TestCheckCronRefusesSubSecondIntervals(t *testing.T) {
	for spec, ok := range map[string]bool{"@every 0s": false, "@every 500ms": false, "@every 1s": true,
		"@every 6h": true, "0 */6 * * *": true, "@daily": true, "CRON_TZ=UTC": false} {
		if err := checkCron(spec); (err == nil) != ok {
			t.Errorf("checkCron(%q) = %v, want ok=%v", spec, err, ok)
		}
	}
}
