package main

import (
	"fmt"
	"log/slog"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// clients builds one api.Client per environment, so every workspace of an
// environment shares its limiter: the concurrency and request rate set for
// an environment hold for the whole run.
type clients struct {
	cfg    *config.Config
	log    *slog.Logger
	byName map[string]*api.Client
}

func newClients(cfg *config.Config, log *slog.Logger) *clients {
	return &clients{cfg: cfg, log: log, byName: map[string]*api.Client{}}
}

// For returns the client of a workspace's environment.
func (c *clients) For(ws *config.Workspace) (*api.Client, error) {
	if cl, ok := c.byName[ws.Environment]; ok {
		return cl, nil
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
		UserAgent:         "enspace-sync/" + versionInfo().Version,
	})
	if err != nil {
		return nil, configError(fmt.Errorf("environment %s: %w", ws.Environment, err))
	}
	c.byName[ws.Environment] = cl
	return cl, nil
}

// selectWorkspaces returns the named workspaces, or all when none is named.
func selectWorkspaces(cfg *config.Config, names []string) ([]*config.Workspace, error) {
	if len(names) == 0 {
		return cfg.Workspaces, nil
	}
	var out []*config.Workspace
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue // named twice: backed up once
		}
		seen[n] = true
		ws, err := cfg.Workspace(n)
		if err != nil {
			return nil, &usageError{msg: err.Error(), hint: "enspace-sync config check"}
		}
		out = append(out, ws)
	}
	return out, nil
}
