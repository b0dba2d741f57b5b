package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "a guided tour: backup, diff, restore, replicate and export against a built-in fake API",
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

Each step prints the command you would type to do it for real, what that
command printed (trimmed), and a check of what the step claims. A check
that fails stops the demo with "demo step N failed: ..." and exit status 1.

The files (config, API key file, database, export) go to a temporary
directory that is removed at the end, or with --keep DIR to DIR (created;
it must be empty), with commands to explore them afterwards. The fake API
and its data live only while the demo runs.

Every request to the fake takes 2 ms more, like a near network, unless
--fast. Logs are at warn level (the anomaly warnings) unless --log-level.

Examples:
  enspace-sync demo
  enspace-sync demo --keep ./demo && enspace-sync snapshots --config ./demo/config.yaml`,
		run: runDemo,
	})
}

// demoLatency is the delay the fake adds to each request unless --fast.
const demoLatency = 2 * time.Millisecond

func runDemo(ctx context.Context, m *Main, args []string) error {
	cmd := commands["demo"]
	fs := newFlags(cmd)
	var keep, logLevel string
	var fast bool
	fs.StringVar(&keep, "keep", "", "keep the config, key file, database and export in `DIR` (created; must be empty)")
	fs.BoolVar(&fast, "fast", false, "no added latency on the fake API's requests")
	fs.StringVar(&logLevel, "log-level", "", "`LEVEL` of the logs of the commands the demo runs: debug, info, warn or error (default warn)")
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	if err := checkLogLevel(cmd.name, logLevel); err != nil {
		return err
	}
	dir, cleanup, err := demoDir(keep)
	if err != nil {
		return err
	}
	defer cleanup()
	latency := demoLatency
	if fast {
		latency = 0
	}
	d := &demo{m: m, dir: dir, kept: keep != "", logLevel: logLevel, start: time.Now()}
	stop, err := d.startFake(latency)
	if err != nil {
		return err
	}
	defer stop()
	d.intro()
	if err := d.runSteps(ctx, demoSteps()); err != nil {
		if d.kept {
			fmt.Fprintf(m.Stdout, "\nThe files are in %s.\n", d.dir)
		} else {
			fmt.Fprintf(m.Stdout, "\nThe files were in %s, removed now; run the demo with --keep DIR to look at them.\n", d.dir)
		}
		return err
	}
	d.outro()
	return nil
}

// demoDir returns the directory of the demo's files and what removes it:
// keep, created and checked empty, which stays; or a temporary directory.
func demoDir(keep string) (dir string, cleanup func(), err error) {
	if keep == "" {
		dir, err := os.MkdirTemp("", "enspace-sync-demo-")
		if err != nil {
			return "", nil, fmt.Errorf("create a temporary directory: %w", err)
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	dir, err = filepath.Abs(keep)
	if err != nil {
		return "", nil, usagef("demo", "--keep %s: %v", keep, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return "", nil, usagef("demo", "--keep %s: the directory is not empty (it holds %s): name a new or empty one", keep, entries[0].Name())
	}
	return dir, func() {}, nil
}

// runSteps runs the steps in order, each under its heading, and stops at
// the first that fails.
func (d *demo) runSteps(ctx context.Context, steps []demoStep) error {
	for i, s := range steps {
		d.step = i + 1
		if demoBeforeStep != nil {
			demoBeforeStep(d.step, d.fake)
		}
		fmt.Fprintf(d.m.Stdout, "\nStep %d of %d: %s\n", d.step, len(steps), s.title)
		ok, err := s.run(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("demo interrupted at step %d: %w", d.step, ctx.Err())
			}
			fmt.Fprintf(d.m.Stdout, "   ✗ %s\n", strings.Join(wrapWords(err.Error(), 92), "\n     "))
			return fmt.Errorf("demo step %d failed (%s): %w", d.step, s.title, err)
		}
		fmt.Fprintf(d.m.Stdout, "   ✓ %s\n", strings.Join(wrapWords(ok, 92), "\n     "))
	}
	return nil
}

// demoBeforeStep, when set, is called before each step with its number
// and the fake server; tests use it to make a step fail.
var demoBeforeStep func(step int, fake *fakeapi.Server)
