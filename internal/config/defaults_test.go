package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const minimalConfig = `environments:
  production:
    base_url: https://api.leif.enspace.io
    api_key_file: /run/credentials/enspace-sync.service/production
workspaces:
  - name: acme
    environment: production
`

func TestDefaultsFilledIn(t *testing.T) {
	c := mustParse(t, minimalConfig, nil)
	if got, want := c.Database, DefaultDatabase; got != want {
		t.Errorf("database = %q, want %q", got, want)
	}
	if got, want := c.Log, (Log{Level: "info", Format: "auto"}); got != want {
		t.Errorf("log = %+v, want %+v", got, want)
	}
	if got, want := c.Listen, "127.0.0.1:9464"; got != want {
		t.Errorf("listen = %q, want %q", got, want)
	}
	if got, want := c.Timezone, "Local"; got != want {
		t.Errorf("timezone = %q, want %q", got, want)
	}
	e := c.Environments["production"]
	got := [4]any{e.Concurrency, e.RequestsPerSecond, e.PageSize, e.Timeout}
	if want := [4]any{8, 20.0, 100, 60 * time.Second}; got != want {
		t.Errorf("environment limits = %v, want %v", got, want)
	}
	w := c.Workspaces[0]
	if got, want := w.Slug, "acme"; got != want {
		t.Errorf("slug = %q, want %q (the name)", got, want)
	}
	if got, want := w.Schedule, "@daily"; got != want {
		t.Errorf("schedule = %q, want %q", got, want)
	}
	if got, want := w.Retention, (Retention{10, 14, 8, 12}); got != want {
		t.Errorf("retention = %+v, want %+v", got, want)
	}
	if w.Env() != e {
		t.Errorf("Env() = %p, want the production environment %p", w.Env(), e)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", c.Warnings)
	}
}

func TestStateDirectory(t *testing.T) {
	for _, c := range []struct{ dirs, want string }{
		{"/var/lib/enspace-sync", "/var/lib/enspace-sync/enspace-sync.db"},
		{"/state/a:/state/b", "/state/a/enspace-sync.db"},
		{"", DefaultDatabase},
	} {
		cfg := mustParse(t, minimalConfig, map[string]string{"STATE_DIRECTORY": c.dirs})
		if cfg.Database != c.want {
			t.Errorf("STATE_DIRECTORY=%q: database = %q, want %q", c.dirs, cfg.Database, c.want)
		}
	}
	cfg := mustParse(t, "database: /data/x.db\n"+minimalConfig, map[string]string{"STATE_DIRECTORY": "/state"})
	if got, want := cfg.Database, "/data/x.db"; got != want {
		t.Errorf("database = %q, want %q: a set value wins over $STATE_DIRECTORY", got, want)
	}
}

// TestZeroIsNotUnset checks that an explicit 0 or "" is kept where it has a
// meaning, and that a key left out or null takes the default.
func TestZeroIsNotUnset(t *testing.T) {
	doc := strings.NewReplacer(
		"    api_key_file:", "    requests_per_second: 0\n    timeout:\n    api_key_file:",
		"    environment: production\n", "    environment: production\n    retention: {keep_weekly: 0, keep_monthly: 0}\n",
	).Replace(minimalConfig)
	c := mustParse(t, "listen: \"\"\nlog:\n"+doc, nil)
	if c.Listen != "" {
		t.Errorf("listen = %q, want \"\" (disabled)", c.Listen)
	}
	if got, want := c.Log, (Log{Level: "info", Format: "auto"}); got != want {
		t.Errorf("log: (null) = %+v, want defaults %+v", got, want)
	}
	e := c.Environments["production"]
	if e.RequestsPerSecond != 0 || e.Timeout != DefaultTimeout {
		t.Errorf("rps, timeout = %g, %s; want 0 (unlimited) and the default %s", e.RequestsPerSecond, e.Timeout, DefaultTimeout)
	}
	if got, want := c.Workspaces[0].Retention, (Retention{KeepLast: 10, KeepDaily: 14}); got != want {
		t.Errorf("retention = %+v, want %+v (rules left out keep their defaults)", got, want)
	}
}

func TestMergeKeys(t *testing.T) {
	const doc = `environments:
  production: &prod
    base_url: https://api.leif.enspace.io
    api_key_file: /keys/production
    concurrency: 4
  stage:
    <<: *prod
    base_url: https://api-develop.enspace.io
workspaces:
  - &acme
    name: acme
    environment: production
    schedule: "@hourly"
  - <<: *acme
    name: acme-stage
    environment: stage
`
	c := mustParse(t, doc, nil)
	st := c.Environments["stage"]
	if st.BaseURL != "https://api-develop.enspace.io" || st.Concurrency != 4 || st.APIKeyFile != "/keys/production" || st.PageSize != 100 {
		t.Errorf("stage = %+v, want production's values with its own base_url", st)
	}
	w := c.Workspaces[1]
	if w.Name != "acme-stage" || w.Schedule != "@hourly" || w.Env() != st {
		t.Errorf("workspaces[1] = %+v, want acme's schedule under its own name and environment", w)
	}

	bad := strings.Replace(doc, "    concurrency: 4\n", "    concurency: 4\n", 1)
	_, err := Parse(strings.NewReader(bad), "config.yaml", Options{LookupEnv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), `config.yaml:5: unknown key "concurency" in environments.production (did you mean "concurrency"?)`) {
		t.Errorf("err = %v, want the unknown key at line 5", err)
	}
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	c := Default()
	c.Log.Level = "loud"
	e := DefaultEnvironment()
	e.BaseURL = "https://api.leif.enspace.io"
	e.APIKey = plantedKey
	e.PageSize = 0
	c.Environments = map[string]*Environment{"production": e}
	w := DefaultWorkspace()
	w.Name, w.Environment, w.Schedule = "acme", "prod", "every day"
	c.Workspaces = []*Workspace{w, nil}
	err := c.Validate()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Validate = %v, want *Error", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`log.level: "loud" is not a level (debug, info, warn, error)`,
		`environments.production.page_size: 0 is out of range (1..100)`,
		`workspaces[0].environment: "prod" is not defined (environments: production)`,
		`workspaces[0].schedule: "every day" is not a cron schedule (5 fields, or @daily, @hourly, @every 6h ...): expected exactly 5 fields, found 2: [every day]`,
		`workspaces[1]: empty entry: name and environment are required`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := err.Error(), strings.Join(want, "\n"); got != want {
		t.Errorf("Error() =\n%s\nwant one problem per line:\n%s", got, want)
	}
}

func TestValidateProgrammatic(t *testing.T) {
	c := Default()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "environments: at least one environment is required") ||
		!strings.Contains(err.Error(), "workspaces: at least one workspace is required") {
		t.Fatalf("Validate(Default()) = %v, want environments and workspaces required", err)
	}
	e := DefaultEnvironment()
	e.BaseURL, e.APIKey = "https://acme.api.enspace.io", plantedKey
	c.Environments = map[string]*Environment{"production": e}
	w := DefaultWorkspace()
	w.Name, w.Environment = "acme", "production"
	c.Workspaces = []*Workspace{w}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if w.Env() != e || w.Slug != "acme" {
		t.Errorf("Validate did not link the workspace: env %p slug %q", w.Env(), w.Slug)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", c.Warnings)
	}
}

func TestWarnings(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           string
	}{
		{"plain http", "https://api.leif.enspace.io", "http://api.leif.enspace.io",
			"config.yaml:9: environments.production.base_url: plain http: the API key travels unencrypted; use https"},
		{"listen on every interface", "listen: 127.0.0.1:9464", "listen: 0.0.0.0:9464",
			`config.yaml:5: listen: "0.0.0.0:9464" is reachable from other hosts`},
		{"odd key", "${STAGE_KEY}", "${ODD_KEY}",
			"config.yaml:21: environments.stage.api_key: the key does not look like an Enspace API key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mustParse(t, replace(t, baseConfig, c.old, c.new), map[string]string{"STAGE_KEY": plantedKey, "ODD_KEY": "secret-but-odd"})
			if got := strings.Join(cfg.Warnings, "\n"); !strings.Contains(got, c.want) {
				t.Errorf("warnings:\n%s\nwant one holding %q", got, c.want)
			}
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "secret-but-odd") {
					t.Errorf("warning holds the key: %q", w)
				}
			}
		})
	}
	cfg := mustParse(t, replace(t, baseConfig, "https://api.leif.enspace.io", "http://127.0.0.1:9000"), map[string]string{"STAGE_KEY": plantedKey})
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings = %q, want none for http on loopback", cfg.Warnings)
	}
}
