package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/dashboard"
)

func init() {
	register(&command{
		name:    "ui",
		summary: "serve the web dashboard from the database on a local port",
		usage:   "enspace-sync ui [--config FILE] [--listen 127.0.0.1:0] [--no-open] [--local] [--json]",
		help: `Serves the dashboard (the pages the daemon serves at its listener) from
the config's database, read-only, on a loopback port, prints its URL and
opens it in a browser unless --no-open. It runs until Ctrl-C.

With the daemon running (its listener answers at the config's listen
address), ui prints a one-time login URL for the daemon's dashboard
instead: opening it swaps the one-time token for a session cookie
(HttpOnly, SameSite=Strict); it is valid for 2 minutes, once. This needs
the daemon's token file (root or the service's user). --local serves from
the database anyway.

Without the daemon, the URL holds a random secret path
(http://127.0.0.1:PORT/SECRET/): other users of the machine can reach the
port but not the pages. Each page opens the database read-only for as long
as it takes to draw, so backups are not kept waiting; while the daemon
holds the database, pages read a copy it serves.

--listen must be a loopback address (127.0.0.1, ::1 or localhost); port 0
picks a free port. With --json the URL is printed as {"url": ...}.

Pages: / (overview), /workspaces/NAME, /workspaces/NAME/snapshots/ID,
/compare/FROM/TO, /objects/SELECTOR?workspace=NAME, /storage. See
docs/dashboard.md.

Examples:
  enspace-sync ui
  enspace-sync ui --listen 127.0.0.1:8484 --no-open
  # the daemon's dashboard:
  sudo enspace-sync ui --config /etc/enspace-sync/config.yaml`,
		local: true,
		run:   configured("ui", 0, uiCommand),
	})
}

// uiOptions are ui's flags.
type uiOptions struct {
	invocation
	listen string
	noOpen bool
	local  bool
}

func (o *uiOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback `ADDR` to serve on (port 0 picks a free port)")
	fs.BoolVar(&o.noOpen, "no-open", false, "print the URL without opening a browser")
	fs.BoolVar(&o.local, "local", false, "serve from the database even when the daemon runs")
}

// uiCommand serves the dashboard until ctx ends.
func uiCommand(ctx context.Context, m *Main, o *uiOptions) error {
	if err := loopbackOnly(o.listen); err != nil {
		return usagef("ui", "--listen %s: %s", o.listen, err)
	}
	// With a daemon running, its listener serves the same pages, fresh
	// and behind its token: hand out a one-time login to them.
	if dc := daemonClient(o.cfg); dc != nil && !o.local {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ans, err := dc.LoginURL(lctx)
		cancel()
		switch {
		case err == nil:
			return printDaemonLogin(m, o, dc.Addr(), ans)
		case !errors.Is(err, daemon.ErrNotRunning):
			return err
		}
	}
	// Open once to fail early (no database yet, a newer format, a lock
	// held by a daemon that does not answer); each page opens it again.
	p := &perRequest{m: m, cfg: o.cfg}
	st, err := p.open()
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	secret, err := uiSecret()
	if err != nil {
		return err
	}
	base := "/" + secret
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	srv := &http.Server{
		Handler:           uiGuard(secret, dashboard.New(p, dashboard.Options{Base: base, Logger: m.log})),
		ReadHeaderTimeout: 10 * time.Second,
	}
	url := "http://" + ln.Addr().String() + base + "/"
	if o.g.asJSON {
		if err := printJSON(m, map[string]string{"url": url}); err != nil {
			ln.Close()
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "serving the dashboard at %s (Ctrl-C stops it)\n", url)
	}
	if !o.noOpen {
		openBrowser(m, url)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// loopbackOnly refuses an address other users of the network could reach.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("not a loopback address: the dashboard is served to this machine only")
	}
	return nil
}

// perRequest opens the database read-only for each call of the
// dashboard's Source, so that a backup waits at most for one page's
// reading; the dashboard's handler (its parsed templates) is built once.
type perRequest struct {
	m   *Main
	cfg *config.Config
}

var _ dashboard.Source = (*perRequest)(nil)

func (p *perRequest) open() (*app.Store, error) {
	o := app.OpenOptions{ReadOnly: true, Command: "ui", Logger: p.m.log}
	if dc := daemonClient(p.cfg); dc != nil {
		o.Daemon = dc
	}
	return app.OpenStore(p.cfg.Database, o)
}

// withService runs f on the core over a freshly opened database.
func withService[T any](p *perRequest, f func(*app.Service) (T, error)) (T, error) {
	var zero T
	st, err := p.open()
	if err != nil {
		return zero, err
	}
	defer st.Close()
	svc, err := p.m.service(p.cfg, st.DB)
	if err != nil {
		return zero, err
	}
	return f(svc)
}

func (p *perRequest) Overview(now time.Time) ([]app.JobView, error) {
	return withService(p, func(s *app.Service) ([]app.JobView, error) { return s.Overview(now) })
}

func (p *perRequest) WorkspaceHistory(name string) (*app.WorkspaceView, error) {
	return withService(p, func(s *app.Service) (*app.WorkspaceView, error) { return s.WorkspaceHistory(name) })
}

func (p *perRequest) SnapshotChanges(workspace, ref string) (*app.ChangesView, error) {
	return withService(p, func(s *app.Service) (*app.ChangesView, error) { return s.SnapshotChanges(workspace, ref) })
}

func (p *perRequest) CompareRefs(from, to string) (*app.ChangesView, error) {
	return withService(p, func(s *app.Service) (*app.ChangesView, error) { return s.CompareRefs(from, to) })
}

func (p *perRequest) History(req app.HistoryRequest) (*app.HistoryResult, error) {
	return withService(p, func(s *app.Service) (*app.HistoryResult, error) { return s.History(req) })
}

func (p *perRequest) Storage() (*app.StorageView, error) {
	return withService(p, func(s *app.Service) (*app.StorageView, error) { return s.Storage() })
}

func (p *perRequest) Location() *time.Location {
	loc, err := p.cfg.Location()
	if err != nil {
		return time.Local
	}
	return loc
}

// openBrowser asks the desktop to open url; a failure is only logged.
func openBrowser(m *Main, url string) {
	name := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name = "explorer"
	}
	cmd := exec.Command(name, url)
	if err := cmd.Start(); err != nil {
		m.log.Info("no browser opened: open the URL yourself", "err", err)
		return
	}
	go func() { _ = cmd.Wait() }()
}

// printDaemonLogin prints the daemon's one-time login URL, and opens it
// unless --no-open. Over a unix socket there is no URL a browser can open:
// the path is printed with the socket, as login-url does.
func printDaemonLogin(m *Main, o *uiOptions, addr string, ans daemon.LoginURL) error {
	if o.g.asJSON {
		return printJSON(m, map[string]any{"url": ans.URL, "path": ans.Path, "expires_at": ans.ExpiresAt, "daemon": true})
	}
	if ans.URL == "" {
		fmt.Fprintf(m.Stdout, "the daemon serves the dashboard on its socket %s: %s (valid until %s, once)\n", addr, ans.Path, ans.ExpiresAt.Format(time.TimeOnly))
		return nil
	}
	fmt.Fprintf(m.Stdout, "the daemon serves the dashboard: open %s (valid until %s, once)\n", ans.URL, ans.ExpiresAt.Format(time.TimeOnly))
	if !o.noOpen {
		openBrowser(m, ans.URL)
	}
	return nil
}
