package main

import (
	"context"
	"log/slog"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/demo"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "a guided tour of the commands against a built-in fake API",
		usage:   "enspace-sync demo [--keep DIR] [--fast] [--log-level LEVEL]",
		help: `Runs a short guided tour of enspace-sync in one process, with nothing to
set up: it starts the built-in fake Enspace API (the demo data of
"enspace-sync fake-api": workspaces acme and acme-stage) on a free port of
127.0.0.1, writes a config for it, and then

  1. checks the config,
  2. backs up acme,
  3. makes the changes a person would: edits three items, adds a field to
     invoices, deletes the type contracts,
  4. backs up again: the changes and the ANOMALY alarm, then the diff,
  5. restores type:contracts from the first snapshot,
  6. backs up again: against the first snapshot only what the server
     assigns (new ids, times) differs, besides the other edits of step 3
     and what only the Enspace UI can recreate,
  7. replicates configuration from acme-stage to acme: plan, apply, plan
     again (empty),
  8. backs up once more and exports that snapshot to a .tar.gz, checked
     against its manifest.

Each step runs what the command you would type runs (the same core), prints
that command, what it returned as the command would print it (trimmed), and
a check of the returned values. A check that fails stops the demo with
"demo step N failed: ..." and exit status 1.

The files (config, API key file, database, export) go to a temporary
directory that is removed at the end, or with --keep DIR to DIR (created;
it must be empty), with commands to explore them afterwards. The fake API
and its data live only while the demo runs.

Every request to the fake takes 2 ms more, like a near network, unless
--fast. The program's logs go to stderr at error level unless --log-level:
the tour shows the anomaly warnings itself.

Examples:
  enspace-sync demo
  enspace-sync demo --keep ./demo &&
      enspace-sync snapshots --config ./demo/config.yaml`,
		run: runDemo,
	})
}

func runDemo(ctx context.Context, m *Main, args []string) error {
	cmd := commands["demo"]
	fs := newFlags(cmd)
	o := &demoOptions{}
	fs.StringVar(&o.keep, "keep", "", "keep the config, key file, database and export in `DIR` (created; must be empty)")
	fs.BoolVar(&o.fast, "fast", false, "no added latency on the fake API's requests")
	fs.StringVar(&o.logLevel, "log-level", "", "`LEVEL` of the program's logs on stderr: debug, info, warn or error (default error: the tour shows the anomaly warnings itself)")
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	if err := checkLogLevel(cmd.name, o.logLevel); err != nil {
		return err
	}
	return demoCommand(ctx, m, o)
}

// demoOptions are demo's flags.
type demoOptions struct {
	keep, logLevel string
	fast           bool
}

// demoCommand runs the guided tour.
func demoCommand(ctx context.Context, m *Main, o *demoOptions) error {
	level := slog.LevelError
	if o.logLevel != "" {
		_ = level.UnmarshalText([]byte(o.logLevel)) // checked by runDemo
	}
	return demo.Run(ctx, demo.Options{Stdout: m.Stdout, Stderr: m.Stderr, Keep: o.keep, Fast: o.fast,
		LogLevel: level, Version: versionInfo().Version, BeforeStep: demoBeforeStep})
}

// demoBeforeStep, when set, is called before each step of the demo; tests
// use it to make a step fail.
var demoBeforeStep func(step int, fake *fakeapi.Server)
