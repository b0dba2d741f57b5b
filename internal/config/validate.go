package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

var (
	workspaceName   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	environmentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	typeSlug        = regexp.MustCompile(`^[a-z0-9_-]+$`)
	integrationSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// secretName is a key of an integration's data, or the path of one
	// nested in it (kind.MaskedKeys): keys and list indices joined with
	// dots, a dot or backslash inside a key escaped with a backslash
	// ("credentials.client_secret", "smtp\.password").
	secretName = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9_]|\\[.\\])*(?:\.(?:[A-Za-z0-9_]|\\[.\\])+)*$`)
	keyFormat  = regexp.MustCompile(`^en\.[A-Za-z0-9]{34}$`)
)

// Validate checks the whole configuration and returns an *Error listing
// every problem, one "path: problem" per line (prefixed with file and line
// when the Config came from Parse). It also fills derived defaults (a
// workspace's slug from its name), links each workspace to its environment
// and appends non-fatal findings to Warnings. It reads no file.
func (c *Config) Validate() error {
	c.complete()
	src := c.source()
	v := &problems{file: src.file, lines: src.lines, secrets: c.secrets()}
	c.validateTop(v)
	if len(c.Environments) == 0 {
		v.at("environments", ErrInvalid, "at least one environment is required")
	}
	for _, name := range sortedKeys(c.Environments) {
		c.validateEnvironment(v, name, c.Environments[name])
	}
	c.validateWorkspaces(v)
	c.validateReplications(v)
	c.validateScrub(v)
	c.validateOffsite(v)
	return v.err()
}

// complete fills the defaults that depend on other values and links
// workspaces to their environments.
func (c *Config) complete() {
	if c.Database == "" {
		c.Database = defaultDatabase(c.source().lookup)
	}
	for _, e := range c.Environments {
		if e != nil {
			e.APIKey = api.Secret(strings.TrimSpace(e.APIKey.Reveal()))
		}
	}
	for _, w := range c.Workspaces {
		if w == nil {
			continue
		}
		if w.Slug == "" {
			w.Slug = w.Name
		}
		w.env = c.Environments[w.Environment]
	}
}

func (c *Config) validateTop(v *problems) {
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		v.at("log.level", ErrInvalid, "%q is not a level (debug, info, warn, error)", shorten(c.Log.Level))
	}
	switch strings.ToLower(c.Log.Format) {
	case "text", "json", "auto":
	default:
		v.at("log.format", ErrInvalid, "%q is not a format (text, json, auto)", shorten(c.Log.Format))
	}
	c.validateListen(v)
	c.validateNotify(v)
	if c.Timezone != "" {
		if _, err := c.Location(); err != nil {
			v.at("timezone", ErrInvalid, "%q is not a time zone (use an IANA name such as Europe/Lisbon, UTC or Local)", shorten(c.Timezone))
		}
	}
	if strings.ContainsFunc(c.Database, isControl) {
		v.at("database", ErrInvalid, "the path holds control characters")
	}
}

// validateNotify checks the notification URLs without ever printing them:
// a webhook URL usually embeds its token.
func (c *Config) validateNotify(v *problems) {
	for _, f := range []struct {
		path string
		url  api.Secret
	}{{"notify.webhook_url", c.Notify.WebhookURL}, {"notify.heartbeat_url", c.Notify.HeartbeatURL}} {
		raw := strings.TrimSpace(f.url.Reveal())
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			v.at(f.path, ErrInvalid, "not a URL")
		case u.User != nil:
			v.at(f.path, ErrInvalid, "the URL carries credentials (user:password@): put the token in the path or query")
		case u.Scheme != "http" && u.Scheme != "https":
			v.at(f.path, ErrInvalid, "must be an absolute http or https URL")
		case u.Host == "" || u.Hostname() == "":
			v.at(f.path, ErrInvalid, "the URL has no host")
		case u.Fragment != "":
			v.at(f.path, ErrInvalid, "the URL must not have a fragment")
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			c.warn(f.path, "plain http: the notification and the URL's token travel unencrypted; use https")
		}
	}
	if t := c.Notify.Timeout; t <= 0 || t > MaxTimeout {
		v.at("notify.timeout", ErrInvalid, "%s is out of range (more than 0, at most %s)", t, MaxTimeout)
	}
}

func (c *Config) validateEnvironment(v *problems, name string, e *Environment) {
	path := childPath("environments", name)
	src := c.source()
	if !environmentName.MatchString(name) {
		v.at(path, ErrInvalid, "%q is not a valid environment name (letters, digits, . _ -)", safeKey(name))
	}
	if e == nil {
		v.at(path, ErrInvalid, "empty: base_url and api_key_file (or api_key) are required")
		return
	}
	c.validateBaseURL(v, path+".base_url", e.BaseURL)
	switch {
	case e.APIKey != "" && e.APIKeyFile != "":
		v.at(path+".api_key", ErrInvalid, "set api_key or api_key_file, not both")
	case e.APIKey == "" && e.APIKeyFile == "" && (src.isUnresolved(path+".api_key") || src.isUnresolved(path+".api_key_file")):
		// an unset ${VAR}: not needed (NoSecrets), or ResolveSecrets' problem
	case e.APIKey == "" && e.APIKeyFile == "" && e.keyFromEnv:
		vars := src.fromEnv[path+".api_key"]
		v.at(path+".api_key", ErrInvalid, "the key is empty: ${%s} expanded to nothing", strings.Join(vars, "}, ${"))
	case e.APIKey == "" && e.APIKeyFile == "":
		v.at(path, ErrInvalid, "no API key: set api_key_file (or api_key: ${VAR})")
	case e.APIKey != "":
		checkKey(c, v, path+".api_key", e.APIKey.Reveal())
	}
	if e.Concurrency < 1 || e.Concurrency > MaxConcurrency {
		v.at(path+".concurrency", ErrInvalid, "%d is out of range (1..%d)", e.Concurrency, MaxConcurrency)
	}
	switch r := e.RequestsPerSecond; {
	case math.IsNaN(r) || math.IsInf(r, 0):
		v.at(path+".requests_per_second", ErrInvalid, "must be a finite number (0 means unlimited)")
	case r < 0:
		v.at(path+".requests_per_second", ErrInvalid, "%g is negative (0 means unlimited)", r)
	}
	switch e.IntegrationEnvironment {
	case "", "stage", "production":
	default:
		v.at(path+".integration_environment", ErrInvalid, "%q is neither stage nor production", e.IntegrationEnvironment)
	}
	if e.PageSize < 1 || e.PageSize > MaxPageSize {
		v.at(path+".page_size", ErrInvalid, "%d is out of range (1..%d)", e.PageSize, MaxPageSize)
	}
	if e.Timeout <= 0 || e.Timeout > MaxTimeout {
		v.at(path+".timeout", ErrInvalid, "%s is out of range (more than 0, at most %s)", e.Timeout, MaxTimeout)
	}
	validateRoutes(v, path+".routes", e.RouteOverrides)
	validateSecrets(v, path+".secrets", e.Secrets, src.isUnresolved)
}

func (c *Config) validateBaseURL(v *problems, path, raw string) {
	if raw == "" {
		v.at(path, ErrInvalid, "required (such as https://api.leif.enspace.io)")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.at(path, ErrInvalid, "not a URL")
		return
	}
	// Never echo a query or fragment: a key pasted there would be printed.
	clean := *u
	clean.RawQuery, clean.ForceQuery, clean.Fragment = "", false, ""
	shown := strconv.Quote(shorten(clean.Redacted()))
	switch {
	case u.User != nil:
		v.at(path, ErrInvalid, "%s carries credentials: remove them and use api_key_file", shown)
	case u.Scheme != "http" && u.Scheme != "https":
		v.at(path, ErrInvalid, "%s must be an absolute http or https URL", shown)
	case u.Host == "" || u.Hostname() == "":
		v.at(path, ErrInvalid, "%s has no host", shown)
	case u.RawQuery != "" || u.ForceQuery:
		v.at(path, ErrInvalid, "%s must not have a query", shown)
	case u.Fragment != "":
		v.at(path, ErrInvalid, "%s must not have a fragment", shown)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		c.warn(path, "plain http: the API key travels unencrypted; use https")
	}
}

// checkKey refuses an unusable key and warns about one that does not look
// like an Enspace key. It never prints the key.
func checkKey(c *Config, v *problems, path, key string) {
	switch {
	case key == "":
		v.at(path, ErrInvalid, "the key is empty")
	case strings.ContainsFunc(key, func(r rune) bool { return isControl(r) || r == ' ' }):
		v.at(path, ErrInvalid, "the key holds spaces or control characters")
	case !keyFormat.MatchString(key):
		c.warn(path, "the key does not look like an Enspace API key (en. followed by 34 letters and digits); using it anyway")
	}
}

func validateRoutes(v *problems, path string, overrides map[string]string) {
	defaults := api.DefaultRoutes()
	for _, name := range sortedKeys(overrides) {
		rp := childPath(path, name)
		if _, ok := defaults[name]; !ok {
			hint := " (known: " + strings.Join(defaults.Names(), ", ") + ")"
			if s := suggest(name, defaults.Names()); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.at(rp, ErrInvalid, "unknown route name%s", hint)
			continue
		}
		if _, err := defaults.WithOverrides(map[string]string{name: overrides[name]}); err != nil {
			msg := err.Error()
			msg = strings.TrimPrefix(msg, "routes."+name+": ")
			v.at(rp, ErrInvalid, "%s", msg)
		}
	}
}

func validateSecrets(v *problems, path string, secrets map[string]SecretValues, unresolved func(string) bool) {
	for _, slug := range sortedKeys(secrets) {
		sp := childPath(path, slug)
		if !integrationSlug.MatchString(slug) {
			v.at(sp, ErrInvalid, "%q is not an integration slug ([a-z0-9][a-z0-9_-]*, such as certisign)", safeKey(slug))
		}
		values := secrets[slug]
		if len(values) == 0 {
			v.at(sp, ErrInvalid, "no secrets: give name: value or name_file: path entries")
		}
		for _, name := range sortedKeys(values) {
			np := childPath(sp, name)
			base := strings.TrimSuffix(name, "_file")
			switch {
			case !secretName.MatchString(name) || base == "":
				v.at(np, ErrInvalid, "%q is not a secret name (letters, digits and _; a nested key by its path, parent.key, a dot inside a key as \\.)", safeKey(name))
			case unresolved(np):
				// an unset ${VAR}: not needed (NoSecrets), or ResolveSecrets' problem
			case isFileName(name) && values[base] != "":
				v.at(np, ErrInvalid, "set %s or %s, not both", base, name)
			case values[name] == "" && isFileName(name):
				v.at(np, ErrInvalid, "empty path")
			case values[name] == "":
				v.at(np, ErrInvalid, "empty secret")
			}
		}
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secrets returns the values to scrub from messages: those seen while
// parsing, and the keys and secrets the Config holds now.
func (c *Config) secrets() []string {
	var out []string
	if scrub := c.source().scrub; scrub != nil {
		out = append(out, scrub()...)
	}
	for _, e := range c.Environments {
		if e == nil {
			continue
		}
		out = append(out, e.APIKey.Reveal(), e.Key().Reveal())
		for _, values := range e.Secrets {
			for name, s := range values {
				if !isFileName(name) {
					out = append(out, s.Reveal())
				}
			}
		}
		if e.read != nil {
			for _, values := range e.read().integrations {
				for _, s := range values {
					out = append(out, s.Reveal())
				}
			}
		}
	}
	return out
}
