package main

import (
	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// openDB opens the config's database for a command (see app.OpenStore:
// read-only opens read a copy the daemon serves while it holds the file)
// and closes it when the command ends.
func (m *Main) openDB(cfg *config.Config, readOnly bool, command string) (*snapshot.DB, error) {
	o := app.OpenOptions{ReadOnly: readOnly, Command: command, Logger: m.log}
	if dc := daemonClient(cfg); dc != nil { // read-only opens read its copy; writes say to go through it
		o.Daemon = dc
	}
	st, err := app.OpenStore(cfg.Database, o)
	if err != nil {
		return nil, err
	}
	m.onClose(st.Close)
	return st.DB, nil
}

// openService opens the config's database and builds the core over it.
func (m *Main) openService(cfg *config.Config, readOnly bool, command string) (*app.Service, error) {
	db, err := m.openDB(cfg, readOnly, command)
	if err != nil {
		return nil, err
	}
	return m.service(cfg, db)
}

func humanBytes(n int64) string { return app.HumanBytes(n) }

// daemonClient returns the client for the daemon of cfg, or nil when its
// listener is off.
func daemonClient(cfg *config.Config) *daemon.Client {
	path, _ := cfg.ListenTokenPath()
	return daemon.NewClient(cfg.ListenAddr(), path)
}
