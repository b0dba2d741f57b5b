package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadBaseConfig(t *testing.T) {
	path := writeTree(t, baseConfig, baseFiles())
	c, err := Load(path, Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Environments["production"].Key().Reveal(), plantedFileKey; got != want {
		t.Errorf("production key = %q, want %q", got, want)
	}
	if got, want := c.Environments["stage"].Key().Reveal(), plantedKey; got != want {
		t.Errorf("stage key = %q, want %q", got, want)
	}
	if got, want := c.Environments["production"].IntegrationSecrets("certisign")["token"].Reveal(), plantedToken; got != want {
		t.Errorf("certisign token = %q, want %q", got, want)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", c.Warnings)
	}
}

// TestMalformed loads broken variants of baseConfig and checks that each
// error names the place (file:line or key path) and the problem, carries
// the right sentinel, and holds no secret.
func TestMalformed(t *testing.T) {
	type tc struct {
		name  string
		edit  func(t *testing.T, s string) string
		files func(map[string]keyFile)
		vars  func(map[string]string)
		is    error
		want  []string
	}
	sub := func(old, new string) func(*testing.T, string) string {
		return func(t *testing.T, s string) string { return replace(t, s, old, new) }
	}
	whole := func(text string) func(*testing.T, string) string {
		return func(*testing.T, string) string { return text }
	}
	cases := []tc{
		{name: "unknown top-level key", edit: sub("database:", "databse:"), is: ErrUnknownKey,
			want: []string{`config.yaml:1: unknown key "databse" at the top level (did you mean "database"?)`}},
		{name: "unknown key far from any", edit: sub("listen:", "backups: 3\nlisten:"), is: ErrUnknownKey,
			want: []string{`config.yaml:5: unknown key "backups" at the top level (known: database, log, listen, listen_token_file, listen_hosts, listen_socket, timezone, environments, workspaces, notify, replications, scrub, name, offsite)`}},
		{name: "unknown log key", edit: sub("  level: info", "  levle: info"), is: ErrUnknownKey,
			want: []string{`config.yaml:3: unknown key "levle" in log (did you mean "level"?)`}},
		{name: "unknown environment key", edit: sub("    page_size: 100", "    pagesize: 100"), is: ErrUnknownKey,
			want: []string{`config.yaml:13: unknown key "pagesize" in environments.production (did you mean "page_size"?)`}},
		{name: "unknown workspace key", edit: sub("    schedule:", "    schedul:"), is: ErrUnknownKey,
			want: []string{`config.yaml:26: unknown key "schedul" in workspaces[0] (did you mean "schedule"?)`}},
		{name: "unknown retention key in a flow mapping", edit: sub("keep_last: 10", "keep_lst: 10"), is: ErrUnknownKey,
			want: []string{`config.yaml:29: unknown key "keep_lst" in workspaces[0].retention (did you mean "keep_last"?)`}},
		{name: "bad URL scheme", edit: sub("https://api.leif.enspace.io", "ftp://api.leif.enspace.io"), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url: "ftp://api.leif.enspace.io" must be an absolute http or https URL`}},
		{name: "relative URL", edit: sub("https://api.leif.enspace.io", "api.leif.enspace.io"), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url:`, "absolute http or https"}},
		{name: "URL with a query", edit: sub("https://api.leif.enspace.io", "https://api.leif.enspace.io/?v=2"), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url:`, "must not have a query"}},
		{name: "URL without host", edit: sub("https://api.leif.enspace.io", "https:///ws"), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url: "https:///ws" has no host`}},
		{name: "URL with credentials", edit: sub("https://api.leif.enspace.io", "https://bob:hunter2secret@api.leif.enspace.io"), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url:`, "carries credentials"}},
		{name: "missing base_url", edit: sub("    base_url: https://api-develop.enspace.io\n", ""), is: ErrInvalid,
			want: []string{`config.yaml:19: environments.stage.base_url: required`}},
		{name: "bad cron", edit: sub(`"0 */6 * * *"`, `"61 * * * *"`), is: ErrInvalid,
			want: []string{`config.yaml:26: workspaces[0].schedule: "61 * * * *" is not a cron schedule`}},
		{name: "cron with four fields", edit: sub(`"0 */6 * * *"`, `"0 */6 * *"`), is: ErrInvalid,
			want: []string{`config.yaml:26: workspaces[0].schedule:`, "expected exactly 5 fields"}},
		{name: "bad time zone", edit: sub("timezone: UTC", "timezone: Mars/Olympus"), is: ErrInvalid,
			want: []string{`config.yaml:6: timezone: "Mars/Olympus" is not a time zone`}},
		{name: "duration without unit", edit: sub("timeout: 60s", "timeout: 60"), is: ErrInvalid,
			want: []string{`config.yaml:14: environments.production.timeout: expected a duration such as 60s or 2m30s, got "60" (add a unit: 60s)`}},
		{name: "duration that is a word", edit: sub("timeout: 60s", "timeout: soon"), is: ErrInvalid,
			want: []string{`config.yaml:14: environments.production.timeout: expected a duration`, `"soon"`}},
		{name: "negative duration", edit: sub("timeout: 60s", "timeout: -5s"), is: ErrInvalid,
			want: []string{`config.yaml:14: environments.production.timeout: -5s is out of range`}},
		{name: "negative concurrency", edit: sub("concurrency: 8", "concurrency: -1"), is: ErrInvalid,
			want: []string{`config.yaml:11: environments.production.concurrency: -1 is out of range (1..64)`}},
		{name: "zero concurrency", edit: sub("concurrency: 8", "concurrency: 0"), is: ErrInvalid,
			want: []string{`config.yaml:11: environments.production.concurrency: 0 is out of range (1..64)`}},
		{name: "concurrency as a word", edit: sub("concurrency: 8", "concurrency: eight"), is: ErrInvalid,
			want: []string{`config.yaml:11: environments.production.concurrency: expected a whole number, got "eight"`}},
		{name: "page size too large", edit: sub("page_size: 100", "page_size: 500"), is: ErrInvalid,
			want: []string{`config.yaml:13: environments.production.page_size: 500 is out of range (1..100)`}},
		{name: "negative rate", edit: sub("requests_per_second: 20", "requests_per_second: -2"), is: ErrInvalid,
			want: []string{`config.yaml:12: environments.production.requests_per_second: -2 is negative (0 means unlimited)`}},
		{name: "infinite rate", edit: sub("requests_per_second: 20", "requests_per_second: .inf"), is: ErrInvalid,
			want: []string{`config.yaml:12: environments.production.requests_per_second: must be a finite number`}},
		{name: "unknown environment", edit: sub("environment: production", "environment: prod"), is: ErrInvalid,
			want: []string{`config.yaml:24: workspaces[0].environment: "prod" is not defined (environments: production, stage)`}},
		{name: "missing environment", edit: sub("    environment: stage\n", ""), is: ErrInvalid,
			want: []string{`config.yaml:30: workspaces[1].environment: required (environments: production, stage)`}},
		{name: "duplicate workspace names", edit: sub("name: beta", "name: acme"), is: ErrInvalid,
			want: []string{`config.yaml:30: workspaces[1].name: "acme" is already the name of workspaces[0]`}},
		{name: "bad workspace name", edit: sub("name: beta", "name: Beta Corp"), is: ErrInvalid,
			want: []string{`config.yaml:30: workspaces[1].name: "Beta Corp" is not a valid name`}},
		{name: "both api_key and api_key_file", edit: sub("    api_key_file: prod.key\n", "    api_key_file: prod.key\n    api_key: ${STAGE_KEY}\n"), is: ErrInvalid,
			want: []string{`config.yaml:11: environments.production.api_key: set api_key or api_key_file, not both`}},
		{name: "neither api_key nor api_key_file", edit: sub("    api_key_file: prod.key\n", ""), is: ErrInvalid,
			want: []string{`config.yaml:8: environments.production: no API key: set api_key_file (or api_key: ${VAR})`}},
		{name: "api_key from an empty variable", vars: func(m map[string]string) { m["STAGE_KEY"] = "" }, is: ErrInvalid,
			want: []string{`config.yaml:21: environments.stage.api_key: the key is empty: ${STAGE_KEY} expanded to nothing`}},
		{name: "api_key with a space", vars: func(m map[string]string) { m["STAGE_KEY"] = "en.abc def" }, is: ErrInvalid,
			want: []string{`config.yaml:21: environments.stage.api_key: the key holds spaces or control characters`}},
		{name: "unknown route name", edit: sub("items.list:", "items.lst:"), is: ErrInvalid,
			want: []string{`config.yaml:16: environments.production.routes.items.lst: unknown route name (did you mean "items.list"?)`}},
		{name: "unknown route placeholder", edit: sub("/ws/types/{type}/records", "/ws/types/{slug}/records"), is: ErrInvalid,
			want: []string{`config.yaml:16: environments.production.routes.items.list: placeholder {slug} is not known for this route`}},
		{name: "route without leading slash", edit: sub("/ws/types/{type}/records", "ws/types/{type}/records"), is: ErrInvalid,
			want: []string{`config.yaml:16: environments.production.routes.items.list: path "ws/types/{type}/records" must start with /`}},
		{name: "list route switched off", edit: sub("/ws/types/{type}/records", "none"), is: ErrInvalid,
			want: []string{`config.yaml:16: environments.production.routes.items.list: only a count route, or the list or get route of a kind the API cannot write (stats, forms, schedule-tasks, api-keys, request-logs), can be switched off (with "none")`}},
		{name: "bad include token", edit: sub("[contracts, items]", "[contracts, Items!]"), is: ErrInvalid,
			want: []string{`config.yaml:27: workspaces[0].include[1]: "Items!" is neither a kind (`, "nor a type slug"}},
		{name: "bad exclude token", edit: sub("[request-logs]", "[request logs]"), is: ErrInvalid,
			want: []string{`config.yaml:28: workspaces[0].exclude[0]: "request logs" is neither a kind`}},
		{name: "include is not a list", edit: sub("[contracts, items]", "contracts"), is: ErrInvalid,
			want: []string{`config.yaml:27: workspaces[0].include: expected a list, got "contracts"`}},
		{name: "retention keeps nothing", edit: sub("{keep_last: 10, keep_daily: 14, keep_weekly: 8, keep_monthly: 12}", "{keep_last: 0, keep_daily: 0, keep_weekly: 0, keep_monthly: 0}"), is: ErrInvalid,
			want: []string{`config.yaml:29: workspaces[0].retention: every rule is 0 or less, so nothing would be kept`}},
		{name: "retention not a whole number", edit: sub("keep_last: 10", "keep_last: 1.5"), is: ErrInvalid,
			want: []string{`config.yaml:29: workspaces[0].retention.keep_last: expected a whole number, got "1.5"`}},
		{name: "concurrency not a whole number", edit: sub("    concurrency: 8", "    concurrency: 2.0"), is: ErrInvalid,
			want: []string{`config.yaml:11: environments.production.concurrency: expected a whole number, got "2.0"`}},
		{name: "schedule that never fires", edit: sub(`schedule: "0 */6 * * *"`, `schedule: "0 0 31 2 *"`), is: ErrInvalid,
			want: []string{`config.yaml:26: workspaces[0].schedule: "0 0 31 2 *" is not a cron schedule (5 fields, or @daily, @hourly, @every 6h ...): it never activates (no such date)`}},
		{name: "schedule that fires less than once a year", edit: sub(`schedule: "0 */6 * * *"`, `schedule: "0 0 29 2 *"`), is: ErrInvalid,
			want: []string{`config.yaml:26: workspaces[0].schedule: "0 0 29 2 *" is not a cron schedule (5 fields, or @daily, @hourly, @every 6h ...): it does not fire within a year (after 2001-03-01 the next time is 2004-02-29)`}},
		{name: "negative retention", edit: sub("keep_weekly: 8", "keep_weekly: -8"), is: ErrInvalid,
			want: []string{`config.yaml:29: workspaces[0].retention.keep_weekly: -8 is negative`}},
		{name: "zone prefix without a schedule", edit: sub(`schedule: "0 */6 * * *"`, `schedule: "CRON_TZ=UTC"`), is: ErrInvalid,
			want: []string{`workspaces[0].schedule: "CRON_TZ=UTC" is not a cron schedule`}},
		{name: "anomaly threshold not a number", edit: sub(`schedule: "0 */6 * * *"`, "schedule: \"0 */6 * * *\"\n    anomaly_threshold: .nan"), is: ErrInvalid,
			want: []string{`workspaces[0].anomaly_threshold: NaN is not a share between 0 and 1`}},
		{name: "anomaly threshold above 1", edit: sub("retention: {keep_last: 10,", "anomaly_threshold: 30\n    retention: {keep_last: 10,"), is: ErrInvalid,
			want: []string{`config.yaml:`, `workspaces[0].anomaly_threshold: 30 is not a share between 0 and 1`}},
		{name: "tab indentation", edit: sub("  level: info", "\tlevel: info"), is: ErrSyntax,
			want: []string{`config.yaml:3:`, "line 3 is indented with a tab"}},
		{name: "empty file", edit: whole(""), is: ErrEmpty,
			want: []string{`config.yaml: the file is empty`}},
		{name: "only comments", edit: whole("# nothing yet\n"), is: ErrEmpty,
			want: []string{`config.yaml: the file is empty`}},
		{name: "null document", edit: whole("---\n~\n"), is: ErrEmpty,
			want: []string{`config.yaml:2: the document is empty`}},
		{name: "two documents", edit: func(t *testing.T, s string) string { return s + "---\nlisten: \"\"\n" }, is: ErrSyntax,
			want: []string{`config.yaml:32: a second YAML document starts here`}},
		{name: "top level is a list", edit: whole("- database: x\n"), is: ErrInvalid,
			want: []string{`config.yaml:1: expected a mapping of keys at the top level, got a list`}},
		{name: "unclosed bracket", edit: sub("[request-logs]", "[request-logs"), is: ErrSyntax,
			want: []string{`config.yaml:`, "did not find expected"}},
		{name: "unset variable", vars: func(m map[string]string) { delete(m, "STAGE_KEY") }, is: ErrUnsetVariable,
			want: []string{`config.yaml:21: environments.stage.api_key: ${STAGE_KEY} is not set`}},
		{name: "unclosed reference", edit: sub("${STAGE_KEY}", "${STAGE_KEY"), is: ErrSyntax,
			want: []string{`config.yaml:21: environments.stage.api_key: unclosed ${`}},
		{name: "bad reference", edit: sub("${STAGE_KEY}", "${STAGE KEY}"), is: ErrSyntax,
			want: []string{`config.yaml:21: environments.stage.api_key: bad reference ${STAGE KEY}`}},
		{name: "slug with a path", edit: sub("    slug: acme\n", "    slug: ../acme\n"), is: ErrInvalid,
			want: []string{`config.yaml:25: workspaces[0].slug: "../acme" is not a workspace slug`}},
		{name: "sub-second schedule", edit: sub(`schedule: "0 */6 * * *"`, `schedule: "@every 0s"`), is: ErrInvalid,
			want: []string{`workspaces[0].schedule: "@every 0s" is not a cron schedule`, "under one second"}},
		{name: "duplicate key", edit: sub("    slug: acme\n", "    slug: acme\n    slug: acme2\n"), is: ErrInvalid,
			want: []string{`config.yaml:26: workspaces[0]: duplicate key "slug" (first at line 25)`}},
		{name: "workspaces as a mapping", edit: func(t *testing.T, s string) string {
			s, _, _ = strings.Cut(s, "workspaces:")
			return s + "workspaces:\n  acme: {environment: production}\n"
		}, is: ErrInvalid, want: []string{`config.yaml:23: workspaces: expected a list, got a mapping`}},
		{name: "environments as a list", edit: func(t *testing.T, s string) string {
			head, _, _ := strings.Cut(s, "environments:")
			_, tail, _ := strings.Cut(s, "workspaces:")
			return head + "environments:\n  - production\nworkspaces:" + tail
		}, is: ErrInvalid,
			want: []string{`config.yaml:8: environments: expected a mapping, got a list`}},
		{name: "no workspaces", edit: func(t *testing.T, s string) string {
			s, _, _ = strings.Cut(s, "workspaces:")
			return s
		}, is: ErrInvalid, want: []string{`config.yaml: workspaces: at least one workspace is required`}},
		{name: "null environment", edit: func(t *testing.T, s string) string {
			return replace(t, s, "  stage:\n    base_url: https://api-develop.enspace.io\n    api_key: ${STAGE_KEY}\n", "  stage:\n")
		}, is: ErrInvalid, want: []string{`config.yaml:19: environments.stage: empty: base_url and api_key_file (or api_key) are required`}},
		{name: "bad log level", edit: sub("level: info", "level: verbose"), is: ErrInvalid,
			want: []string{`config.yaml:3: log.level: "verbose" is not a level (debug, info, warn, error)`}},
		{name: "bad log format", edit: sub("format: text", "format: xml"), is: ErrInvalid,
			want: []string{`config.yaml:4: log.format: "xml" is not a format (text, json, auto)`}},
		{name: "bad listen address", edit: sub("listen: 127.0.0.1:9464", "listen: localhost"), is: ErrInvalid,
			want: []string{`config.yaml:5: listen: "localhost" is not host:port`}},
		{name: "mapping key that is a list", edit: sub("listen: 127.0.0.1:9464", "? [a, b]\n: c"), is: ErrInvalid,
			want: []string{`config.yaml:5: a key must be a plain word, got a list`}},
		{name: "secret and secret file both", edit: sub("{token_file: cert.token}", "{token_file: cert.token, token: x}"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets.certisign.token_file: set token or token_file, not both`}},
		{name: "bad integration slug", edit: sub("certisign: {", "Certi Sign: {"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets["Certi Sign"]: "Certi Sign" is not an integration slug`}},
		{name: "merge of a scalar", edit: sub("  stage:\n", "  stage:\n    <<: 5\n"), is: ErrInvalid,
			want: []string{`config.yaml:20: environments.stage: << merges a mapping, an alias to one, or a list of those`}},
		{name: "rate as a word", edit: sub("requests_per_second: 20", "requests_per_second: fast"), is: ErrInvalid,
			want: []string{`config.yaml:12: environments.production.requests_per_second: expected a number, got "fast"`}},
		{name: "integration without secrets", edit: sub("{token_file: cert.token}", "{}"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets.certisign: no secrets`}},
		{name: "bad secret name", edit: sub("{token_file: cert.token}", "{token_file: cert.token, api-key: x}"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets.certisign.api-key: "api-key" is not a secret name`}},
		{name: "empty secret", edit: sub("{token_file: cert.token}", "{token: ''}"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets.certisign.token: empty secret`}},
		{name: "secrets value not a mapping", edit: sub("{token_file: cert.token}", "[cert.token]"), is: ErrInvalid,
			want: []string{`config.yaml:18: environments.production.secrets.certisign: expected a mapping, got a list`}},
		{name: "retention as a list", edit: sub("{keep_last: 10, keep_daily: 14, keep_weekly: 8, keep_monthly: 12}", "[10, 14]"), is: ErrInvalid,
			want: []string{`config.yaml:29: workspaces[0].retention: expected a mapping of keys, got a list`}},
		{name: "name as a mapping", edit: sub("name: beta", "name: {first: beta}"), is: ErrInvalid,
			want: []string{`config.yaml:30: workspaces[1].name: expected text, got a mapping`}},
		{name: "world-readable key file", files: func(m map[string]keyFile) { m["prod.key"] = keyFile{content: plantedFileKey, mode: 0o644} },
			is: ErrInsecureKeyFile, want: []string{`config.yaml:10: environments.production.api_key_file:`, "prod.key can be read by its group or others (mode 0644): run chmod 600 ", "prod.key"}},
		{name: "group-readable secret file", files: func(m map[string]keyFile) { m["cert.token"] = keyFile{content: plantedToken, mode: 0o640} },
			is: ErrInsecureKeyFile, want: []string{`config.yaml:18: environments.production.secrets.certisign.token_file:`, "(mode 0640): run chmod 600 "}},
		{name: "missing key file", files: func(m map[string]keyFile) { delete(m, "prod.key") },
			is: ErrKeyFile, want: []string{`config.yaml:10: environments.production.api_key_file: cannot read `, "prod.key: no such file or directory"}},
		{name: "empty key file", files: func(m map[string]keyFile) { m["prod.key"] = keyFile{content: " \n\n", mode: 0o600} },
			is: ErrKeyFile, want: []string{`config.yaml:10: environments.production.api_key_file: `, "prod.key is empty"}},
		{name: "key file is a directory", files: func(m map[string]keyFile) { m["prod.key"] = keyFile{dir: true} },
			is: ErrKeyFile, want: []string{`config.yaml:10: environments.production.api_key_file: `, "prod.key is not a regular file"}},
		{name: "key pasted into base_url", edit: sub("https://api.leif.enspace.io", plantedFileKey), is: ErrInvalid,
			want: []string{`config.yaml:9: environments.production.base_url: "[redacted]" must be an absolute http or https URL`}},
		{name: "key pasted as a key name", edit: sub("    page_size: 100", "    "+plantedKey+": 1"), is: ErrUnknownKey,
			want: []string{`config.yaml:13: unknown key "[redacted]" in environments.production`}},
		{name: "key pasted into a number", edit: sub("page_size: 100", "page_size: "+plantedFileKey), is: ErrInvalid,
			want: []string{`config.yaml:13: environments.production.page_size: expected a whole number, got "[redacted]"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := baseConfig
			if c.edit != nil {
				text = c.edit(t, text)
			}
			files, vars := baseFiles(), baseEnv()
			if c.files != nil {
				c.files(files)
			}
			if c.vars != nil {
				c.vars(vars)
			}
			path := writeTree(t, text, files)
			cfg, err := Load(path, Options{LookupEnv: env(vars)})
			if err == nil {
				t.Fatalf("Load succeeded, want an error holding %q", c.want)
			}
			if cfg != nil {
				t.Errorf("Load returned a config with its error")
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(os.PathSeparator), "")
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not hold %q:\n%s", w, msg)
				}
			}
			if !errors.Is(err, c.is) {
				t.Errorf("errors.Is(err, %v) = false; err:\n%s", c.is, msg)
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Errorf("err is %T, want *Error with problems", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// TestSecretPathNames: a secret for a key nested in an integration's data
// is named by its path, a dot inside a key escaped with a backslash, as
// restore names a masked key (kind.MaskedKeys).
func TestSecretPathNames(t *testing.T) {
	text := strings.Replace(baseConfig, "certisign: {token_file: cert.token}",
		`certisign: {token_file: cert.token, smtp\.password: a, 'hosts\.example\.com.password': b, credentials.client_secret: c, hosts.0.password: d}`, 1)
	c, err := Load(writeTree(t, text, baseFiles()), Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := c.Environments["production"].IntegrationSecrets("certisign")
	for name, want := range map[string]string{`smtp\.password`: "a", `hosts\.example\.com.password`: "b", "credentials.client_secret": "c", "hosts.0.password": "d"} {
		if got[name].Reveal() != want {
			t.Errorf("secret %s = %q, want %q", name, got[name].Reveal(), want)
		}
	}
	for _, bad := range []string{"smtp..password", `smtp\password`, "smtp.", ".x"} {
		text := strings.Replace(baseConfig, "certisign: {token_file: cert.token}", "certisign: {token_file: cert.token, '"+bad+"': x}", 1)
		if _, err := Load(writeTree(t, text, baseFiles()), Options{LookupEnv: env(baseEnv())}); err == nil || !strings.Contains(err.Error(), "is not a secret name") {
			t.Errorf("%s: Load = %v, want not a secret name", bad, err)
		}
	}
}
