package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// Defaults, and the places the configuration is looked for.
const (
	DefaultPath              = "/etc/enspace-sync/config.yaml"         // Locate's last place, the system-wide file
	UserFile                 = "enspace-sync/config.yaml"              // under $XDG_CONFIG_HOME or ~/.config
	EnvConfigPath            = "ENSPACE_SYNC_CONFIG"                   // the variable Locate reads
	DefaultDatabase          = "/var/lib/enspace-sync/enspace-sync.db" // without $STATE_DIRECTORY
	DatabaseFile             = "enspace-sync.db"                       // the file name under $STATE_DIRECTORY
	DefaultListen            = "127.0.0.1:9464"
	DefaultTimezone          = "Local"
	DefaultLogLevel          = "info"
	DefaultLogFormat         = "auto"
	DefaultConcurrency       = 8
	DefaultRequestsPerSecond = 20
	DefaultPageSize          = 100
	DefaultTimeout           = 60 * time.Second
	DefaultSchedule          = "@daily"
	DefaultAnomalyThreshold  = 0.3
	DefaultNotifyTimeout     = 10 * time.Second
	ListenOff                = "off"          // the listen value that disables the listener, like ""
	ListenUnixPrefix         = "unix:"        // listen: unix:PATH serves on a unix socket
	ListenTokenName          = "listen.token" // the default token file, beside the database
	DefaultSocketMode        = os.FileMode(0o600)
)

// Limits on values and files.
const (
	MaxConcurrency = 64                 // highest concurrency per environment
	MaxPageSize    = 100                // the API's highest page size
	MaxTimeout     = time.Hour          // longest per-request timeout
	MaxFileSize    = 1 << 20            // largest configuration file Load and Parse accept
	MaxKeyFileSize = 64 << 10           // largest key or secret file
	KeyFileMode    = os.FileMode(0o600) // the mode the chmod hint suggests
)

// Config is the whole configuration file, with defaults filled in. Build it
// with Load or Parse. Validate and ResolveSecrets change it; once they have
// returned, the read-only methods (Workspace, Env, Key, Routes, Includes,
// IntegrationSecrets, Location, Redacted) are safe from several goroutines.
type Config struct {
	// Database is the bbolt file. Default /var/lib/enspace-sync/enspace-sync.db,
	// or $STATE_DIRECTORY/enspace-sync.db when systemd sets StateDirectory=.
	Database string `yaml:"database"`
	// Log configures log/slog.
	Log Log `yaml:"log"`
	// Listen is the address of the daemon's local HTTP listener (health,
	// metrics, status). Default 127.0.0.1:9464; "" or "off" disables the
	// listener (see ListenAddr).
	Listen string `yaml:"listen"`
	// ListenTokenFile is the file holding the listener's bearer token
	// (mode 0600). Default: listen.token beside the database, which the
	// daemon creates. A relative path starts at the config's directory.
	ListenTokenFile string `yaml:"listen_token_file,omitempty"`
	// ListenHosts are names, besides localhost and the listen address,
	// that requests may give in their Host header (a proxy's or the
	// machine's name). Others are answered 421.
	ListenHosts []string `yaml:"listen_hosts,omitempty"`
	// ListenSocket sets the mode and group of a unix socket listener
	// (listen: unix:PATH).
	ListenSocket ListenSocket `yaml:"listen_socket,omitempty"`
	// Timezone names the zone of cron schedules and retention days: an IANA
	// name, "UTC" or "Local" (the default; "" means Local too).
	Timezone string `yaml:"timezone"`
	// Environments are Enspace deployments by name ("production", "stage").
	Environments map[string]*Environment `yaml:"environments"`
	// Workspaces are the workspaces to back up, in file order.
	Workspaces []*Workspace `yaml:"workspaces"`
	// Notify says whom the daemon tells about its backups.
	Notify Notify `yaml:"notify"`
	// Replications are replications the daemon runs on a schedule.
	Replications []*Replication `yaml:"replications,omitempty"`
	// Scrub is the daemon's scheduled read-back of every stored object.
	Scrub Scrub `yaml:"scrub"`
	// Name is this daemon's name in offsite targets, where several daemons
	// may push to one bucket; default: the host name (see DaemonName).
	Name string `yaml:"name,omitempty"`
	// Offsite are the encrypted offsite targets the daemon pushes to.
	Offsite []*Offsite `yaml:"offsite,omitempty"`

	// Warnings are non-fatal findings of Parse, Validate and ResolveSecrets,
	// each "file:line: path: message". They never hold a secret value.
	Warnings []string `yaml:"-"`

	src *source
}

// source is what a Config remembers of where it came from.
type source struct {
	file    string                      // the name given to Parse
	dir     string                      // where relative key files start
	lookup  func(string) (string, bool) // the environment
	lines   map[string]int              // key path -> line
	scrub   func() []string             // secret values seen while parsing; see readSecrets
	fromEnv map[string][]string         // key path -> the variables its value came from

	noSecrets  bool                 // parsed with Options.NoSecrets
	unresolved map[string][]Problem // secret paths whose ${VAR} was unset: left empty (see expandScalar)
	named      map[string]string    // secret paths that held ${VAR} -> the text as written, such as "${NAS_PW}"
}

// isUnresolved reports whether the secret at path was left empty because a
// ${VAR} in it is unset: Validate does not ask for it.
func (s *source) isUnresolved(path string) bool { return len(s.unresolved[path]) > 0 }

// SecretsSkipped reports whether c was read with Options.NoSecrets: it
// holds no API key nor integration secret, and must not reach the API.
func (c *Config) SecretsSkipped() bool { return c.source().noSecrets }

// source returns c's source, creating an empty one for a Config built in
// code.
func (c *Config) source() *source {
	if c.src == nil {
		c.src = &source{dir: ".", lookup: os.LookupEnv}
	}
	return c.src
}

// ListenSocket is the mode and group of the listener's unix socket.
type ListenSocket struct {
	// Mode is the socket's mode in octal, such as "0660"; default 0600.
	// Whoever may write to the socket reaches the listener (and still
	// needs the token for all but /healthz and /readyz).
	Mode string `yaml:"mode"`
	// Group names the socket's group; "" keeps the daemon's.
	Group string `yaml:"group"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
	// Format is text, json, or auto (the default): json when the process
	// runs under systemd ($JOURNAL_STREAM or $INVOCATION_ID set), else text.
	Format string `yaml:"format"`
}

// Notify configures the daemon's notifications. Both URLs are secrets (a
// webhook URL usually embeds its token): they print as [redacted].
type Notify struct {
	// WebhookURL receives a JSON POST (with a Slack-compatible "text"
	// field) after a failed, partial or anomalous backup; "" sends none.
	WebhookURL api.Secret `yaml:"webhook_url"`
	// HeartbeatURL is fetched (GET) after each successful backup, for a
	// dead man's switch such as healthchecks.io; "" sends none.
	HeartbeatURL api.Secret `yaml:"heartbeat_url"`
	// Timeout bounds one delivery attempt; default 10s, at most 1h.
	Timeout time.Duration `yaml:"timeout"`
}

// Environment is one Enspace deployment and how to talk to it.
type Environment struct {
	// BaseURL is the API's root, such as https://api.leif.enspace.io.
	BaseURL string `yaml:"base_url"`
	// APIKey is the key written in the file (usually as ${VAR}). Exactly
	// one of APIKey and APIKeyFile is set.
	APIKey api.Secret `yaml:"api_key,omitempty"`
	// APIKeyFile is a file holding the key. A relative path starts from
	// $CREDENTIALS_DIRECTORY when set, else from the config file's directory.
	APIKeyFile string `yaml:"api_key_file,omitempty"`
	// Concurrency caps requests in flight, 1..64, default 8.
	Concurrency int `yaml:"concurrency"`
	// RequestsPerSecond caps the request rate, default 20; 0 means unlimited.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// PageSize is the page size of list requests, 1..100, default 100.
	PageSize int `yaml:"page_size"`
	// Timeout bounds one request, body included, default 60s, at most 1h.
	Timeout time.Duration `yaml:"timeout"`
	// RouteOverrides replace paths of the route table by route name
	// ("items.list": "/ws/types/{type}/records"); see api.Routes.WithOverrides.
	RouteOverrides map[string]string `yaml:"routes"`
	// Secrets are integration secrets for restore and replicate into this
	// environment, by integration slug.
	Secrets map[string]SecretValues `yaml:"secrets"`
	// IntegrationEnvironment is the data.environment that integrations get
	// when restore or replicate creates them here: "stage" or
	// "production". Empty: the environment's name when it is one of those,
	// else the source's value is kept.
	IntegrationEnvironment string `yaml:"integration_environment,omitempty"`

	read         func() *readSecrets // what ResolveSecrets read; see readSecrets
	keyFromEnv   bool                // APIKey came from ${VAR}
	keyFileNamed string              // APIKeyFile as written when it came from ${VAR}; see KeyFileName
}

// readSecrets are an environment's secrets as ResolveSecrets read them.
// They are reached through a closure, never a field: fmt prints a func as
// an address under every verb, while it prints the fields a pointer leads
// to (even unexported ones, bypassing String) when a verb does not fit.
type readSecrets struct {
	key          api.Secret                       // the content of APIKeyFile
	integrations map[string]map[string]api.Secret // Secrets with *_file entries read
	keyErr       error                            // why APIKeyFile gave no usable key; nil when it did
	secretsErr   error                            // why a *_file integration secret could not be read
}

// SecretValues maps a secret's name ("token", "api_key") to its value, or,
// for a name ending in "_file" ("token_file"), to the path of a file that
// holds it. Marshalled to YAML, values print as [redacted] and paths as they
// are: Redacted marshals a copy whose paths from ${VAR} are the text as
// written. Under fmt every value and path prints as [redacted] (Format).
type SecretValues map[string]api.Secret

// MarshalYAML implements yaml.Marshaler: file paths are kept, values
// hidden. Only Redacted marshals the config, through asWritten: a path
// that came from ${VAR} is then "${VAR}", never the variable's value.
func (s SecretValues) MarshalYAML() (any, error) {
	out := make(map[string]string, len(s))
	for name, v := range s {
		if isFileName(name) {
			out[name] = v.Reveal()
		} else {
			out[name] = redacted
		}
	}
	return out, nil
}

// Workspace is one workspace to back up.
type Workspace struct {
	// Name is how commands refer to the workspace: unique, [a-z0-9][a-z0-9._-]*.
	Name string `yaml:"name"`
	// Environment names an entry of Config.Environments.
	Environment string `yaml:"environment"`
	// Slug is the en-workspace header value; default Name.
	Slug string `yaml:"slug"`
	// Schedule is a 5-field cron line or a descriptor (@daily, @every 6h),
	// read in Config.Timezone; default @daily.
	Schedule string `yaml:"schedule"`
	// Include limits a backup to these kind names (api.Kinds) and type
	// slugs; empty means everything.
	Include []string `yaml:"include"`
	// Exclude leaves out kind names and type slugs; it wins over Include.
	Exclude []string `yaml:"exclude"`
	// Retention says which snapshots forget keeps.
	Retention Retention `yaml:"retention"`
	// AnomalyThreshold is the share (0..1) by which a kind, or a type's
	// items, may shrink from one snapshot to the next before the backup is
	// flagged as an anomaly; 0 turns the check off. Default 0.3. A type
	// that disappears is flagged whatever the threshold, unless it is 0.
	AnomalyThreshold float64 `yaml:"anomaly_threshold"`

	env *Environment
}

// Retention is the snapshot retention policy of a workspace. A rule of 0 is
// off; at least one rule must keep something.
type Retention struct {
	KeepLast    int `yaml:"keep_last"`    // the newest N snapshots, default 10
	KeepDaily   int `yaml:"keep_daily"`   // the newest of each of the last N days, default 14
	KeepWeekly  int `yaml:"keep_weekly"`  // the newest of each of the last N weeks, default 8
	KeepMonthly int `yaml:"keep_monthly"` // the newest of each of the last N months, default 12
}

// Default returns the configuration of an empty file: the top-level
// defaults, no environments and no workspaces (so it does not validate).
// Database follows $STATE_DIRECTORY.
func Default() *Config { return defaults(os.LookupEnv) }

func defaults(lookup func(string) (string, bool)) *Config {
	return &Config{
		Database: defaultDatabase(lookup),
		Log:      Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		Listen:   DefaultListen,
		Timezone: DefaultTimezone,
		Notify:   Notify{Timeout: DefaultNotifyTimeout},
		Scrub:    DefaultScrub(),
		src:      &source{dir: ".", lookup: lookup},
	}
}

// defaultDatabase is $STATE_DIRECTORY/enspace-sync.db under systemd (the
// first directory when StateDirectory= lists several), else DefaultDatabase.
func defaultDatabase(lookup func(string) (string, bool)) string {
	if dirs, ok := lookup("STATE_DIRECTORY"); ok && dirs != "" {
		dir, _, _ := strings.Cut(dirs, ":")
		return filepath.Join(dir, DatabaseFile)
	}
	return DefaultDatabase
}

// DefaultEnvironment returns an environment with every default filled in
// and neither base URL nor key.
func DefaultEnvironment() *Environment {
	return &Environment{
		Concurrency:       DefaultConcurrency,
		RequestsPerSecond: DefaultRequestsPerSecond,
		PageSize:          DefaultPageSize,
		Timeout:           DefaultTimeout,
	}
}

// DefaultRetention returns the default retention policy.
func DefaultRetention() Retention {
	return Retention{KeepLast: 10, KeepDaily: 14, KeepWeekly: 8, KeepMonthly: 12}
}

// DefaultWorkspace returns a workspace with every default filled in and
// neither name nor environment.
func DefaultWorkspace() *Workspace {
	return &Workspace{Schedule: DefaultSchedule, Retention: DefaultRetention(), AnomalyThreshold: DefaultAnomalyThreshold}
}

// SlogLevel returns the level as a slog.Level; an unknown level (which
// Validate refuses) is Info.
func (l Log) SlogLevel() slog.Level {
	switch strings.ToLower(l.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// JSON reports whether logs are JSON: format json, or auto under systemd
// ($JOURNAL_STREAM or $INVOCATION_ID set). getenv nil means os.Getenv.
func (l Log) JSON(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch strings.ToLower(l.Format) {
	case "json":
		return true
	case "", "auto":
		return getenv("JOURNAL_STREAM") != "" || getenv("INVOCATION_ID") != ""
	}
	return false
}

// Location returns the time zone of schedules and retention days.
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" || c.Timezone == "Local" {
		return time.Local, nil
	}
	return time.LoadLocation(c.Timezone)
}
