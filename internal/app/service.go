package app

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/notify"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Options build a Service. Config is required.
type Options struct {
	Config *config.Config
	// DB is the open database; nil for use cases that need none (a dry run
	// of a restore from an export, a live export).
	DB *snapshot.DB
	// Logger receives the use cases' records; nil discards them.
	Logger *slog.Logger
	// Version goes into the API's and the webhook's User-Agent.
	Version string
}

// Service runs the use cases of enspace-sync over one config, one database
// and the API clients of the config's environments.
type Service struct {
	db      *snapshot.DB
	log     *slog.Logger
	version string

	pool *clientPool // the API clients, kept across SetConfig

	mu       sync.Mutex
	cfg      *config.Config
	clients  *clients
	loc      *time.Location
	notifier *notify.Notifier // nil when neither URL is set
}

// New returns a Service. It fails when the config's time zone does not load.
func New(opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: opts.DB, log: opts.Logger, version: opts.Version}
	s.pool = newClientPool(s.log, s.userAgent())
	if err := s.SetConfig(opts.Config); err != nil {
		return nil, err
	}
	return s, nil
}

// SetConfig makes cfg the Service's config. An environment whose client
// settings (base URL, key, routes, limits, page size, timeout) are those
// of the config before keeps its API client, with its limiter; another
// gets a new client, which still honours a Retry-After its server sent
// (see clientPool). It fails, changing nothing, when the config's time
// zone does not load.
func (s *Service) SetConfig(cfg *config.Config) error {
	loc, err := cfg.Location()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var n *notify.Notifier
	if cfg.Notify.WebhookURL != "" || cfg.Notify.HeartbeatURL != "" {
		n = notify.New(notify.Options{
			WebhookURL:   strings.TrimSpace(cfg.Notify.WebhookURL.Reveal()),
			HeartbeatURL: strings.TrimSpace(cfg.Notify.HeartbeatURL.Reveal()),
			Timeout:      cfg.Notify.Timeout,
			Logger:       s.log,
			UserAgent:    s.userAgent(),
		})
	}
	s.mu.Lock()
	s.pool.keep(cfg)
	s.cfg, s.clients, s.loc, s.notifier = cfg, newClients(cfg, s.pool), loc, n
	s.mu.Unlock()
	return nil
}

// Config returns the current config.
func (s *Service) Config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Location returns the time zone of the config's schedules and retention.
func (s *Service) Location() *time.Location {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loc
}

// DB returns the Service's database (nil when it has none).
func (s *Service) DB() *snapshot.DB { return s.db }

func (s *Service) current() (*config.Config, *clients) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg, s.clients
}

func (s *Service) userAgent() string { return "enspace-sync/" + s.version }

func (s *Service) needDB() (*snapshot.DB, error) {
	if s.db == nil {
		return nil, fmt.Errorf("%w at %s: run enspace-sync backup first", ErrNoDatabase, s.Config().Database)
	}
	return s.db, nil
}

// Workspace returns the workspace of the config named name, or the only one
// when name is "" and the config has one; what names what needs it, for
// the error ("restore", "--at").
func (s *Service) Workspace(name, what string) (*config.Workspace, error) {
	return pickWorkspace(s.Config(), name, what)
}

func pickWorkspace(cfg *config.Config, name, what string) (*config.Workspace, error) {
	if name == "" {
		if len(cfg.Workspaces) != 1 {
			return nil, inputf("add --workspace NAME", "%s needs --workspace: the config has %d workspaces", what, len(cfg.Workspaces))
		}
		return cfg.Workspaces[0], nil
	}
	ws, err := cfg.Workspace(name)
	if err != nil {
		return nil, absentf("enspace-sync config check", "%s", err)
	}
	return ws, nil
}

// Workspaces returns the named workspaces in the order named (each once), or
// all of the config when none is named.
func (s *Service) Workspaces(names []string) ([]*config.Workspace, error) {
	cfg := s.Config()
	if len(names) == 0 {
		return cfg.Workspaces, nil
	}
	var out []*config.Workspace
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		ws, err := cfg.Workspace(n)
		if err != nil {
			return nil, absentf("enspace-sync config check", "%s", err)
		}
		out = append(out, ws)
	}
	return out, nil
}

// Client returns the API client of a workspace's environment.
func (s *Service) Client(ws *config.Workspace) (*api.Client, error) {
	_, cl := s.current()
	return cl.For(ws)
}
