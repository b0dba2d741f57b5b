package config

import (
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// The Format methods print Config, Environment, Workspace and SecretValues
// the same way
// under every fmt verb, from plain values only. Without them, a verb that
// does not fit (%s on a struct pointer inside a map) makes fmt print the
// fields raw, bypassing api.Secret's String method. Redacted is the full,
// readable form.

// Format implements fmt.Formatter: a one-line summary without secrets.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{database:%s log:{level:%s format:%s} listen:%s timezone:%s environments:[%s] workspaces:[%s]}",
		c.Database, c.Log.Level, c.Log.Format, c.Listen, c.Timezone,
		strings.Join(sortedKeys(c.Environments), " "), strings.Join(workspaceNames(c.Workspaces), " "))
}

// Format implements fmt.Formatter: which notifications are set, never
// their URLs.
func (n Notify) Format(f fmt.State, _ rune) {
	set := func(s api.Secret) string {
		if s == "" {
			return ""
		}
		return redacted
	}
	fmt.Fprintf(f, "{webhook_url:%s heartbeat_url:%s timeout:%s}", set(n.WebhookURL), set(n.HeartbeatURL), n.Timeout)
}

// Format implements fmt.Formatter: the environment with its key shown as
// [redacted] and its integration secrets by slug only.
func (e Environment) Format(f fmt.State, _ rune) {
	key := ""
	if e.APIKey != "" {
		key = redacted
	}
	routes := make([]string, 0, len(e.RouteOverrides))
	for _, name := range sortedKeys(e.RouteOverrides) {
		routes = append(routes, name+":"+e.RouteOverrides[name])
	}
	fmt.Fprintf(f, "{base_url:%s api_key:%s api_key_file:%s concurrency:%d requests_per_second:%g page_size:%d timeout:%s routes:map[%s] secrets:[%s]}",
		e.BaseURL, key, e.KeyFileName(), e.Concurrency, e.RequestsPerSecond, e.PageSize, e.Timeout,
		strings.Join(routes, " "), strings.Join(e.IntegrationSlugs(), " "))
}

// Format implements fmt.Formatter: the workspace without its environment's
// details.
func (w Workspace) Format(f fmt.State, _ rune) {
	r := w.Retention
	fmt.Fprintf(f, "{name:%s environment:%s slug:%s schedule:%s include:[%s] exclude:[%s] retention:{keep_last:%d keep_daily:%d keep_weekly:%d keep_monthly:%d}}",
		w.Name, w.Environment, w.Slug, w.Schedule, strings.Join(w.Include, " "), strings.Join(w.Exclude, " "),
		r.KeepLast, r.KeepDaily, r.KeepWeekly, r.KeepMonthly)
}

// Format implements fmt.Formatter: the secrets' names, each value and
// each file path as [redacted]. A *_file path written as ${VAR} holds the
// variable's value, which may be the secret itself (written there by
// mistake), and the map does not know which did: Redacted shows the paths
// as written.
func (s SecretValues) Format(f fmt.State, _ rune) {
	parts := make([]string, 0, len(s))
	for _, name := range sortedKeys(s) {
		parts = append(parts, name+":"+redacted)
	}
	fmt.Fprintf(f, "map[%s]", strings.Join(parts, " "))
}

func workspaceNames(ws []*Workspace) []string {
	names := make([]string, 0, len(ws))
	for _, w := range ws {
		if w != nil {
			names = append(names, w.Name)
		}
	}
	return names
}

// MarshalYAML implements yaml.Marshaler: a URL that is set prints as
// [redacted], one that is not as "".
func (n Notify) MarshalYAML() (any, error) {
	shown := func(s api.Secret) string {
		if s == "" {
			return ""
		}
		return redacted
	}
	return struct {
		WebhookURL   string `yaml:"webhook_url"`
		HeartbeatURL string `yaml:"heartbeat_url"`
		Timeout      string `yaml:"timeout"`
	}{shown(n.WebhookURL), shown(n.HeartbeatURL), n.Timeout.String()}, nil
}

// Format implements fmt.Formatter: the target with each file path that is
// set as [redacted], as SecretValues: a path written as ${VAR} holds the
// variable's value, which may be the password itself, and the target does
// not know which did (Redacted shows the paths as written).
func (o Offsite) Format(f fmt.State, _ rune) {
	set := func(path string) string {
		if path == "" {
			return ""
		}
		return redacted
	}
	fmt.Fprintf(f, "{name:%s url:%s password_file:%s access_key_id_file:%s secret_access_key_file:%s session_token_file:%s schedule:%s stale_after:%s}",
		o.Name, o.URL, set(o.PasswordFile), set(o.AccessKeyIDFile), set(o.SecretAccessKeyFile), set(o.SessionTokenFile), o.Schedule, o.StaleAfter)
}
