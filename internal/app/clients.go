package app

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// clients builds one api.Client per environment, so every workspace of an
// environment shares its limiter: the concurrency and request rate set for
// an environment hold for the whole run.
type clients struct {
	cfg       *config.Config
	log       *slog.Logger
	userAgent string

	mu     sync.Mutex
	byName map[string]*api.Client
}

func newClients(cfg *config.Config, log *slog.Logger, userAgent string) *clients {
	return &clients{cfg: cfg, log: log, userAgent: userAgent, byName: map[string]*api.Client{}}
}

// For returns the client of a workspace's environment.
func (c *clients) For(ws *config.Workspace) (*api.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byName[ws.Environment]; ok {
		return cl, nil
	}
	if c.cfg.SecretsSkipped() {
		return nil, fmt.Errorf("%w: environment %s: the config was read without its secrets (a command that reads the database only)", ErrConfig, ws.Environment)
	}
	env := ws.Env()
	cl, err := api.New(api.Options{
		BaseURL:           env.BaseURL,
		APIKey:            env.Key(),
		Routes:            env.Routes(),
		Concurrency:       env.Concurrency,
		RequestsPerSecond: env.RequestsPerSecond,
		PageSize:          env.PageSize,
		Timeout:           env.Timeout,
		Logger:            c.log.With("environment", ws.Environment),
		UserAgent:         c.userAgent,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: environment %s: %w", ErrConfig, ws.Environment, err)
	}
	c.byName[ws.Environment] = cl
	return cl, nil
}

// NewStandaloneClient builds a client for a workspace that is not in any
// config (export --live --base-url).
func NewStandaloneClient(baseURL string, apiKey api.Secret, userAgent string, log *slog.Logger) (*api.Client, error) {
	cl, err := api.New(api.Options{BaseURL: baseURL, APIKey: apiKey, Logger: log, UserAgent: userAgent})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return cl, nil
}
