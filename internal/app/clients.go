package app

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// clients gives each environment of one config its api.Client, so every
// workspace of an environment shares its limiter: the concurrency and
// request rate set for an environment hold for the whole run. The clients
// come from the Service's pool, which outlives a reload: see clientPool.
type clients struct {
	cfg  *config.Config
	pool *clientPool

	mu     sync.Mutex
	byName map[string]*api.Client
}

func newClients(cfg *config.Config, pool *clientPool) *clients {
	return &clients{cfg: cfg, pool: pool, byName: map[string]*api.Client{}}
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
	if err := ws.Env().KeyErr(); err != nil {
		return nil, &SecretError{What: "environment " + ws.Environment, Err: err}
	}
	cl, err := c.pool.get(ws.Environment, settingsOf(ws.Env()))
	if err != nil {
		return nil, fmt.Errorf("%w: environment %s: %w", ErrConfig, ws.Environment, err)
	}
	c.byName[ws.Environment] = cl
	return cl, nil
}

// clientSettings are what of an environment goes into its client.
type clientSettings struct {
	baseURL           string
	key               api.Secret
	routes            api.Routes
	concurrency       int
	requestsPerSecond float64
	pageSize          int
	timeout           time.Duration
}

func settingsOf(env *config.Environment) clientSettings {
	return clientSettings{
		baseURL:           env.BaseURL,
		key:               env.Key(),
		routes:            env.Routes(),
		concurrency:       env.Concurrency,
		requestsPerSecond: env.RequestsPerSecond,
		pageSize:          env.PageSize,
		timeout:           env.Timeout,
	}
}

func (a clientSettings) equal(b clientSettings) bool {
	return a.baseURL == b.baseURL && a.key == b.key && maps.Equal(a.routes, b.routes) &&
		a.concurrency == b.concurrency && a.requestsPerSecond == b.requestsPerSecond &&
		a.pageSize == b.pageSize && a.timeout == b.timeout
}

// clientPool holds the Service's API clients across config reloads.
//
// An environment whose settings a reload leaves alone keeps its client,
// and so its limiter: a run in progress and a run started after the
// reload share one concurrency cap and one rate, and a pause a server's
// Retry-After put on the environment still holds. An environment whose
// settings changed gets a new client (the run in progress finishes on the
// old one, so for that run the two caps add up).
//
// The pause belongs to the server, not to the client: every client whose
// base URL names the same host and port (two environments with different
// keys on one server, or an environment's clients before and after a
// reload) shares one api.Pause, so that after a 429 or 503 with
// Retry-After no request of any of them goes to that server until it
// runs out. The concurrency cap and the rate stay per environment.
type clientPool struct {
	log       *slog.Logger
	userAgent string

	mu     sync.Mutex
	byEnv  map[string][]pooledClient // by environment name
	pauses map[string]*api.Pause     // by server (serverOf)
}

type pooledClient struct {
	settings clientSettings
	client   *api.Client
}

func newClientPool(log *slog.Logger, userAgent string) *clientPool {
	return &clientPool{log: log, userAgent: userAgent, byEnv: map[string][]pooledClient{}, pauses: map[string]*api.Pause{}}
}

// get returns the client of environment env with settings st: the pool's
// when it has one, else a new one with its server's pause.
func (p *clientPool) get(env string, st clientSettings) (*api.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.byEnv[env] {
		if pc.settings.equal(st) {
			return pc.client, nil
		}
	}
	server := serverOf(st.baseURL)
	pause := p.pauses[server]
	if pause == nil {
		pause = api.NewPause()
	}
	cl, err := api.New(api.Options{
		BaseURL:           st.baseURL,
		APIKey:            st.key,
		Routes:            st.routes,
		Concurrency:       st.concurrency,
		RequestsPerSecond: st.requestsPerSecond,
		PageSize:          st.pageSize,
		Timeout:           st.timeout,
		Pause:             pause,
		Logger:            p.log.With("environment", env),
		UserAgent:         p.userAgent,
	})
	if err != nil {
		return nil, err
	}
	p.pauses[server] = pause
	p.byEnv[env] = append(p.byEnv[env], pooledClient{st, cl})
	return cl, nil
}

// keep drops the clients cfg does not use (an environment gone, or its
// settings changed). A run in progress keeps the clients it holds.
func (p *clientPool) keep(cfg *config.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, pcs := range p.byEnv {
		env := cfg.Environments[name]
		if env == nil || cfg.SecretsSkipped() {
			delete(p.byEnv, name)
			continue
		}
		st := settingsOf(env)
		var kept []pooledClient
		for _, pc := range pcs {
			if pc.settings.equal(st) {
				kept = append(kept, pc)
			}
		}
		if kept == nil {
			delete(p.byEnv, name)
		} else {
			p.byEnv[name] = kept
		}
	}
	// The pauses stay, one small record per server ever configured: a
	// run still holding a dropped client may set its server's pause, which
	// a client made for that server by a later reload must see.
}

// serverOf names the server of a base URL, the scope of a Retry-After:
// its host, lower case, without a trailing dot, and port (the scheme's default when none is
// written). A URL that does not parse names itself (api.New refuses it).
func serverOf(baseURL string) string {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Hostname() == "" {
		return baseURL
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	// "api.example.com." is "api.example.com": the root label's dot.
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port)
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
