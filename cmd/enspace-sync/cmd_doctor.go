package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/doctor"
)

func init() {
	register(&command{
		name:    "doctor",
		summary: "check read-only that the server speaks the configured API",
		usage:   "enspace-sync doctor [--config FILE] [--workspace NAME]... [--json]",
		help: `Checks each workspace (all configured workspaces when none is named)
against its server with GET requests only, small pages and a handful of
requests per route:

  config        the workspace's environment, where its key comes from, and
                every route override in effect (one line each, routes.NAME)
  reachability  the base URL answers (TLS included)
  auth          the key is accepted (401 and 403 are told apart)
  key           the key's scopes and workspaces from /user-api-keys, and
                whether it can write (needed by restore and replicate);
                nothing is ever written
  each route    every kind's list and count route: the status, the list
                shape (bare array or which envelope), whether page and limit
                are honoured (two pages of 2 must differ), the count shape,
                the id type and fields the contract does not name

Each line reads VERDICT  ROUTE  DETAIL. Verdicts: ok; "different shape:
handled" (an envelope, no count route: backups cope); "not found: override
with routes.NAME"; "forbidden: needs scope X"; "forbidden: no access to the
workspace"; "unauthorized: key refused"; "paging ignored"; "unreachable";
"error"; "skipped" (nothing to list children under). When a route must be
overridden, the exact config lines to add are printed at the end; for a
list route that answers 404 a few likely paths are tried.

With --json, the checks are printed as a JSON list of objects with the keys
workspace, environment, route, verdict, detail, ok and (when a path was
found for a route to override) override.

Exit status: 0 when every check is ok, handled or skipped; 1 when any
failed; 2 for a bad config.

Examples:
  enspace-sync doctor
  enspace-sync doctor --workspace acme --json | jq '.[] | select(.ok | not)'`,
		run:        configured("doctor", 0, doctorCommand),
		allSecrets: true,
	})
}

// doctorOptions are doctor's flags and arguments.
type doctorOptions struct {
	invocation
	names stringList
}

func (o *doctorOptions) flags(fs *flag.FlagSet) {
	fs.Var(&o.names, "workspace", "workspace to check, by its name in the config; repeat for several (default all)")
}

// doctorCommand checks, read-only, each workspace o names against its server.
func doctorCommand(ctx context.Context, m *Main, o *doctorOptions) error {
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	rep, err := svc.Doctor(ctx, o.names)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		checks := rep.Checks
		if checks == nil {
			checks = []doctor.Check{}
		}
		if err := printJSON(m, checks); err != nil {
			return err
		}
	} else if err := doctor.WriteText(m.Stdout, rep); err != nil {
		return err
	}
	if n := rep.Failed(); n > 0 {
		return withExit(ExitError, fmt.Errorf("doctor: %d check(s) failed", n))
	}
	return nil
}
