package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/dashboard"
)

// stopTimeout bounds the wait for a backup to abort on SIGTERM, so the
// process exits within systemd's and the operator's patience (10 s).
const stopTimeout = 8 * time.Second

func init() {
	register(&command{
		name:    "run",
		summary: "run as a daemon: back up every workspace on its schedule",
		usage:   "enspace-sync run [--config FILE] [--log-level LEVEL]",
		help: `Runs until stopped: loads and checks the config, opens the database, and
backs up every workspace on its schedule (a workspace whose last successful
backup is older than its period is backed up at once). After each backup
the workspace's retention is applied (forget, then prune). Runs never
overlap: a start that finds the previous run still going is skipped and
logged. Each of the config's replications: runs on its schedule too, as
"replicate --from FROM --to TO" would; a plan that would update or delete
more than its max_change of the target is held, not applied, and notified;
a replication never runs as a catch-up at start.
The database's structure is checked first: the daemon does not write to a
damaged database. Under systemd (Type=notify) it reports READY=1 once scheduled,
STOPPING=1, and WATCHDOG=1 when WatchdogSec= is set; logs are JSON there.

Signals:
  SIGTERM, SIGINT  stop starting runs, abort a running backup (nothing of it
                   becomes visible; the run is recorded as aborted), close
                   the database and exit 0, within 10 seconds. A second
                   signal exits at once (status 130).
  SIGHUP           reload the config. An invalid config is logged (with the
                   key and line) and the old one kept. A running backup
                   continues. database, listen and listen_* need a restart.
                   Key and secret files are read again: one that cannot be
                   read is a warning and fails only what needs it. A file
                   systemd passes with LoadCredential= is copied at start
                   only: a fixed one needs a restart.

Listener (listen:, default 127.0.0.1:9464; unix:PATH for a unix socket;
"off" disables it):
  GET  /healthz              200 while the process runs (open)
  GET  /readyz               200 when every workspace's last backup is complete
                             and younger than twice its schedule's period (open)
  GET  /metrics              Prometheus metrics (enspace_sync_*); open on a
                             loopback address, the token elsewhere
  GET  /v1/status            JSON: each workspace's schedule, next run, last
                             run, running, snapshot count
  POST /v1/trigger/NAME      start a backup now: 202, 409 when one is running,
                             404 for an unknown name; ?wait=1 answers its result
  GET  /v1/db                a consistent copy of the whole database, which the
                             read commands (snapshots, show, diff, log, export,
                             db backup) use while the daemon holds the file
  POST /v1/login-url         a one-time login URL for a browser
  GET  /                     the dashboard, when built in
All but the open ones want the token (Authorization: Bearer) from the token
file, listen.token beside the database (created at start, mode 0600) or
listen_token_file, or a browser session: 401 otherwise. A Host other than
the listen address, localhost or a name of listen_hosts is answered 421.
See docs/listener.md, "enspace-sync status", "enspace-sync trigger" and
"enspace-sync login-url".

Notifications (notify:): a webhook after failed, partial and anomalous
backups, a heartbeat URL after each successful one; failures are retried
and logged, never fatal.

Exit status: 0 after a stop by signal; 1 when it cannot start (database
locked: 4; invalid config: 2).

Examples:
  enspace-sync run --config /etc/enspace-sync/config.yaml
  systemctl reload enspace-sync    # sends SIGHUP`,
		run: configured("run", 0, runCommand),
	})
}

// runOptions are run's flags and arguments.
type runOptions struct{ invocation }

// runCommand runs the daemon until ctx ends; SIGHUP reloads the config.
func runCommand(ctx context.Context, m *Main, o *runOptions) error {
	svc, err := m.openService(o.cfg, false, "run")
	if err != nil {
		return err
	}
	if err := svc.CheckDatabase(); err != nil {
		return err
	}
	opts := daemon.Options{Jobs: svc, DB: svc.DB(), Version: versionInfo().Version, Logger: m.log, Getenv: m.Getenv,
		Listen: o.cfg.ListenAddr(), SocketGroup: o.cfg.ListenSocket.Group, Hosts: o.cfg.ListenHosts,
		UI: dashboard.New(svc, dashboard.Options{Logger: m.log})}
	if opts.Listen != "" {
		if opts.SocketMode, err = o.cfg.ListenSocket.FileMode(); err != nil {
			return configError(err)
		}
		if opts.Token, err = daemon.ListenerToken(o.cfg.ListenTokenPath()); err != nil {
			return err
		}
	}
	d, err := daemon.New(opts, daemon.SettingsOf(svc))
	if err != nil {
		return configError(err)
	}
	if opts.Listen != "" {
		ln, err := d.Listen()
		if err != nil {
			return err
		}
		d.Serve(ln)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := d.Start(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			m.log.Info("stopping: aborting runs in progress")
			stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			err := d.Stop(stopCtx)
			cancel()
			if err != nil {
				m.log.Error("stop", "err", err)
			}
			return nil
		case <-hup:
			m.reload(svc, d, &o.g)
		}
	}
}

// reload re-reads the config for SIGHUP. An invalid config is logged and
// the old one stays; database and listen keep their old values until a
// restart.
func (m *Main) reload(svc *app.Service, d *daemon.Daemon, g *globalFlags) {
	path, err := m.locateConfig(g.configPath)
	if err != nil {
		m.log.Error("reload: keeping the running config", "err", err)
		return
	}
	res, err := svc.ReloadFile(path, config.Options{LookupEnv: m.lookupEnv, SecretsOnUse: true}, func() error { return d.Reload(daemon.SettingsOf(svc)) })
	for _, w := range res.Warnings {
		m.log.Warn("config", "warning", w)
	}
	for _, k := range res.Kept {
		m.log.Warn("reload: a new "+k.Key+" needs a restart; keeping the old one", k.Key, k.Value)
	}
	if err != nil {
		why := app.ErrSchedulesRefused
		if errors.Is(err, app.ErrConfigInvalid) {
			why = app.ErrConfigInvalid
		}
		m.log.Error("reload: "+why.Error()+"; keeping the running one", "file", path, "err", err)
		return
	}
	m.log.Info("reloaded the config", "file", path, "workspaces", res.Workspaces)
}
