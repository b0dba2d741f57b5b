package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// baseBadConfig is a valid config that the malformed cases break one key
// at a time. DIR is replaced with the case's directory.
const baseBadConfig = `database: DIR/db/enspace-sync.db
log: {level: error}
listen: "127.0.0.1:9464"
timezone: UTC
environments:
  local:
    base_url: http://127.0.0.1:1
    api_key_file: key
    concurrency: 4
    requests_per_second: 0
    page_size: 100
    timeout: 60s
    integration_environment: production
    routes:
      items.list: /ws/types/{type}/items
    secrets:
      certisign: {token: cs-base-token}
notify:
  timeout: 10s
workspaces:
  - name: acme
    environment: local
    schedule: "@every 6h"
    anomaly_threshold: 0.3
    retention: {keep_last: 10}
`

// badConfig is one malformed config: an edit of baseBadConfig and the key
// its error must name.
type badConfig struct {
	name     string
	old, new string // replace old with new; old "" replaces the whole text
	key      string
}

var badConfigs = []badConfig{
	{"unknown top-level key", "database:", "databse:", "databse"},
	{"unknown log key", "{level: error}", "{levle: error}", "levle"},
	{"bad log level", "{level: error}", "{level: loud}", "level"},
	{"bad listen address", `"127.0.0.1:9464"`, `"nowhere"`, "listen"},
	{"bad time zone", "timezone: UTC", "timezone: Mars/Olympus", "timezone"},
	{"environments as a list", "environments:\n  local:", "environments: [local]\nx:\n  local:", "environments"},
	{"unknown environment key", "    page_size: 100", "    pagesize: 100", "pagesize"},
	{"base_url with a bad scheme", "http://127.0.0.1:1", "ftp://127.0.0.1:1", "base_url"},
	{"relative base_url", "http://127.0.0.1:1", "127.0.0.1:1/api", "base_url"},
	{"base_url with credentials", "http://127.0.0.1:1", "http://bob:pw@127.0.0.1:1", "base_url"},
	{"base_url missing", "    base_url: http://127.0.0.1:1\n", "", "base_url"},
	{"base_url from an unset variable", "http://127.0.0.1:1", "${SOAK_UNSET_URL}", "SOAK_UNSET_URL"},
	{"api_key_file missing", "api_key_file: key", "api_key_file: no-such-key", "api_key_file"},
	{"api_key_file readable by others", "api_key_file: key", "api_key_file: open-key", "api_key_file"},
	{"no API key at all", "    api_key_file: key\n", "", "api_key"},
	{"concurrency zero", "concurrency: 4", "concurrency: 0", "concurrency"},
	{"concurrency not a number", "concurrency: 4", "concurrency: many", "concurrency"},
	{"negative requests_per_second", "requests_per_second: 0", "requests_per_second: -1", "requests_per_second"},
	{"page_size above 100", "page_size: 100", "page_size: 101", "page_size"},
	{"timeout without unit", "timeout: 60s", "timeout: 60", "timeout"},
	{"timeout above an hour", "timeout: 60s", "timeout: 2h", "timeout"},
	{"bad integration_environment", "integration_environment: production", "integration_environment: dev", "integration_environment"},
	{"unknown route name", "items.list: /ws", "items.lst: /ws", "items.lst"},
	{"route not starting with /", "items.list: /ws/types/{type}/items", "items.list: ws/types/{type}/items", "items.list"},
	{"route with an unknown placeholder", "items.list: /ws/types/{type}/items", "items.list: /ws/types/{nope}/items", "items.list"},
	{"secrets entry not a mapping", "certisign: {token: cs-base-token}", "certisign: cs-base-token", "certisign"},
	{"secret file missing", "certisign: {token: cs-base-token}", "certisign: {token_file: no-such-file}", "token_file"},
	{"bad notify timeout", "  timeout: 10s\nworkspaces", "  timeout: -1s\nworkspaces", "timeout"},
	{"bad webhook_url", "notify:\n", "notify:\n  webhook_url: not-a-url\n", "webhook_url"},
	{"no workspaces", "workspaces:\n  - name: acme\n    environment: local\n    schedule: \"@every 6h\"\n    anomaly_threshold: 0.3\n    retention: {keep_last: 10}\n", "workspaces: []\n", "workspaces"},
	{"bad workspace name", "- name: acme", "- name: Acme!", "name"},
	{"unknown environment of a workspace", "    environment: local\n    schedule", "    environment: prod\n    schedule", "environment"},
	{"duplicate workspace", "    retention: {keep_last: 10}\n", "    retention: {keep_last: 10}\n  - name: acme\n    environment: local\n", "acme"},
	{"bad cron schedule", `"@every 6h"`, `"61 * * * *"`, "schedule"},
	{"bad anomaly_threshold", "anomaly_threshold: 0.3", "anomaly_threshold: 7", "anomaly_threshold"},
	{"negative keep_last", "keep_last: 10", "keep_last: -1", "keep_last"},
	{"unknown retention key", "keep_last: 10", "keep_lst: 10", "keep_lst"},
	{"tab in indentation", "    concurrency: 4", "\tconcurrency: 4", "config.yaml:"},
	{"not YAML", "", "workspaces: [acme\n", "config.yaml"},
	{"empty file", "", "", "workspaces"},
}

// badConfigResult counts how the malformed configs were answered.
type badConfigResult struct {
	cases, accepted, unnamed, panics, leaked int64
	notes                                    []string
}

// checkBadConfigs runs config check on every malformed config: each must
// exit 2 with an error naming the key, without a panic and without the
// secret of the config.
func checkBadConfigs(o *options) (*badConfigResult, error) {
	res := &badConfigResult{}
	for i, c := range badConfigs {
		dir := filepath.Join(o.tmp, "badconfig", fmt.Sprint(i))
		w, err := newWorkdir(o.bin, dir, configOptions{url: "http://127.0.0.1:1"})
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "open-key"), []byte("en.open\n"), 0o644); err != nil {
			return nil, err
		}
		if err := os.Chmod(filepath.Join(dir, "open-key"), 0o644); err != nil {
			return nil, err
		}
		text := strings.ReplaceAll(baseBadConfig, "DIR", dir)
		if c.old == "" {
			text = c.new
		} else {
			if !strings.Contains(text, c.old) {
				return nil, fmt.Errorf("case %q: the base config has no %q", c.name, c.old)
			}
			text = strings.Replace(text, c.old, c.new, 1)
		}
		if err := os.WriteFile(w.cfg, []byte(text), 0o600); err != nil {
			return nil, err
		}
		r := w.run("config", "check")
		res.cases++
		switch {
		case panicked(r.out):
			res.panics++
			res.notes = append(res.notes, fmt.Sprintf("%s: a panic or stack trace: %s", c.name, firstLine(r.out)))
		case r.code == 0:
			res.accepted++
			res.notes = append(res.notes, fmt.Sprintf("%s: accepted", c.name))
		case r.code != 2 || !strings.Contains(r.out, c.key):
			res.unnamed++
			res.notes = append(res.notes, fmt.Sprintf("%s: exit %d without naming %q: %s", c.name, r.code, c.key, firstLine(r.out)))
		}
		if strings.Contains(r.out, "cs-base-token") {
			res.leaked++
			res.notes = append(res.notes, fmt.Sprintf("%s: the error shows the secret: %s", c.name, firstLine(r.out)))
		}
	}
	return res, nil
}
