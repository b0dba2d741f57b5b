package main

import (
	"context"
	"fmt"
	"time"
)

func init() {
	register(&command{
		name:    "login-url",
		summary: "print a one-time URL that logs a browser in to the daemon",
		usage:   "enspace-sync login-url [--config FILE] [--json]",
		help: `Asks the running daemon (enspace-sync run) for a one-time login URL and
prints it. Opening it in a browser on this machine starts a session (a
cookie, HttpOnly and SameSite=Strict, kept in the daemon's memory) and
shows the dashboard. The URL works once, for two minutes. Asking for it
needs the listener's token, like status and trigger: run it as root or as
the daemon's user. Over a unix socket there is no URL a browser can open:
it prints the path. When nothing answers at the config's listen address,
it says so and exits 1.

With --json: {"path", "url", "expires_at"}.

Examples:
  enspace-sync login-url
  sudo enspace-sync login-url --config /etc/enspace-sync/config.yaml`,
		local: true,
		run:   configured("login-url", 0, loginURLCommand),
	})
}

// loginURLOptions are login-url's flags.
type loginURLOptions struct{ invocation }

// loginURLCommand prints a one-time login URL of the running daemon.
func loginURLCommand(ctx context.Context, m *Main, o *loginURLOptions) error {
	dc, err := daemonOf(&o.invocation)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ans, err := dc.LoginURL(ctx)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		return printJSON(m, ans)
	}
	if ans.URL == "" {
		fmt.Fprintf(m.Stdout, "%s (on the daemon's socket %s; valid until %s, once)\n", ans.Path, dc.Addr(), ans.ExpiresAt.Format(time.TimeOnly))
		return nil
	}
	fmt.Fprintln(m.Stdout, ans.URL)
	return nil
}
