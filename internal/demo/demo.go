package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Latency is the delay the fake adds to each request unless Options.Fast.
const Latency = 2 * time.Millisecond

// Options configure a tour.
type Options struct {
	Stdout io.Writer // the tour
	Stderr io.Writer // the logs
	// Keep is where the files go and stay (created; it must be empty); ""
	// means a temporary directory that is removed at the end.
	Keep     string
	Fast     bool       // no added latency on the fake's requests
	LogLevel slog.Level // of the program's logs (the tour shows anomalies itself)
	Version  string
	// BeforeStep, when set, is called before each step with its number and
	// the fake server; tests use it to make a step fail.
	BeforeStep func(step int, fake *fakeapi.Server)
}

// InterruptedError is a tour stopped by its context (Ctrl-C) during a
// step: "demo interrupted at step N: context canceled". It wraps the
// context's error, and says itself what was interrupted
// (DescribesInterruption), so the command line does not name the command
// again.
type InterruptedError struct {
	Step int
	Err  error // the context's
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("demo interrupted at step %d: %v", e.Step, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// DescribesInterruption reports that the error's text says what was
// interrupted.
func (e *InterruptedError) DescribesInterruption() bool { return true }

// tour is one run of the guided tour: where its files are, the fake API
// it talks to, the program's core, and what its steps found for the steps
// after them.
type tour struct {
	opts  Options
	out   io.Writer
	dir   string
	start time.Time
	step  int

	fake    *fakeapi.Server
	url     string
	cfgPath string
	dbPath  string
	svc     *app.Service
	db      *snapshot.DB

	// Found by the steps.
	snaps      []*snapshot.Snapshot // the backups of acme, in order
	noteField  string               // the id of the field the person added
	exportPath string
}

// step is one step of the tour: run prints what it does and returns the
// sentence of its check, or why the check failed.
type step struct {
	title string
	run   func(ctx context.Context, t *tour) (string, error)
}

// Run runs the tour. An error says which step failed and why.
func Run(ctx context.Context, opts Options) error {
	dir, cleanup, err := workDir(opts.Keep)
	if err != nil {
		return err
	}
	defer cleanup()
	t := &tour{opts: opts, out: opts.Stdout, dir: dir, start: time.Now()}
	latency := Latency
	if opts.Fast {
		latency = 0
	}
	stop, err := t.startFake(latency)
	if err != nil {
		return err
	}
	defer stop()
	defer t.close()
	t.intro()
	if err := t.runSteps(ctx, steps()); err != nil {
		if opts.Keep != "" {
			fmt.Fprintf(t.out, "\nThe files are in %s.\n", t.dir)
		} else {
			fmt.Fprintf(t.out, "\nThe files were in %s, removed now; run the demo with --keep DIR to look at them.\n", t.dir)
		}
		return err
	}
	t.outro()
	return nil
}

// ErrNotEmpty is returned by Run when Options.Keep names a directory that
// holds files.
var ErrNotEmpty = fmt.Errorf("the directory is not empty")

// workDir returns the directory of the tour's files and what removes it:
// keep, created and checked empty, which stays; or a temporary directory.
func workDir(keep string) (dir string, cleanup func(), err error) {
	if keep == "" {
		dir, err := os.MkdirTemp("", "enspace-sync-demo-")
		if err != nil {
			return "", nil, fmt.Errorf("create a temporary directory: %w", err)
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	dir, err = filepath.Abs(keep)
	if err != nil {
		return "", nil, fmt.Errorf("--keep %s: %w", keep, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return "", nil, &app.InputError{Msg: fmt.Sprintf("--keep %s: %s (it holds %s): name a new or empty one", keep, ErrNotEmpty, entries[0].Name()),
			Hint: "enspace-sync demo --help"}
	}
	return dir, func() {}, nil
}

// runSteps runs the steps in order, each under its heading, and stops at
// the first that fails.
func (t *tour) runSteps(ctx context.Context, steps []step) error {
	for i, s := range steps {
		t.step = i + 1
		if t.opts.BeforeStep != nil {
			t.opts.BeforeStep(t.step, t.fake)
		}
		fmt.Fprintf(t.out, "\nStep %d of %d: %s\n", t.step, len(steps), s.title)
		ok, err := s.run(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return &InterruptedError{Step: t.step, Err: ctx.Err()}
			}
			fmt.Fprintf(t.out, "   ✗ %s\n", strings.Join(wrapWords(err.Error(), 92), "\n     "))
			return fmt.Errorf("demo step %d failed (%s): %w", t.step, s.title, err)
		}
		fmt.Fprintf(t.out, "   ✓ %s\n", strings.Join(wrapWords(ok, 92), "\n     "))
	}
	return nil
}

// startFake serves the demo data on a free port of 127.0.0.1 and returns
// what stops it.
func (t *tour) startFake(latency time.Duration) (stop func(), err error) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		return nil, fmt.Errorf("start the fake API: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the fake API: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) // ends with Close; a failure shows as failing requests
	t.fake, t.url = srv, "http://"+ln.Addr().String()
	t.cfgPath = filepath.Join(t.dir, "config.yaml")
	t.dbPath = filepath.Join(t.dir, "enspace-sync.db")
	// Close, not Shutdown: nothing is in flight once the steps are over,
	// and Shutdown would wait for connections a client dialled but never used.
	return func() { _ = hs.Close() }, nil
}

// writeConfig writes the API key file and a config for the fake with the
// workspaces acme (production) and acme-stage (stage), and returns the
// config's text.
func (t *tour) writeConfig() (string, error) {
	if err := os.WriteFile(filepath.Join(t.dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the key file: %w", err)
	}
	// A JSON string is a YAML string; $ is doubled against ${VAR} expansion.
	quote := func(s string) string {
		q, _ := json.Marshal(strings.ReplaceAll(s, "$", "$$"))
		return string(q)
	}
	text := fmt.Sprintf(`# Written by "enspace-sync demo" for its fake Enspace API at %[1]s.
database: %[2]s
log: {level: warn, format: text}
environments:
  production:
    base_url: %[1]s
    api_key_file: key          # beside this file, mode 0600
    requests_per_second: 0     # no limit: the fake is local
  stage:
    base_url: %[1]s
    api_key_file: key
    requests_per_second: 0
workspaces:
  - name: acme
    environment: production
  - name: acme-stage
    environment: stage
`, t.url, quote(t.dbPath))
	if err := os.WriteFile(t.cfgPath, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("write the config: %w", err)
	}
	return text, nil
}

// open loads the config and opens the database and the program's core
// over them, as every command does.
func (t *tour) open(cfg *config.Config) error {
	log := slog.New(slog.NewTextHandler(t.opts.Stderr, &slog.HandlerOptions{Level: t.opts.LogLevel}))
	db, err := snapshot.Open(cfg.Database, snapshot.Options{Timeout: 2 * time.Second, Command: "enspace-sync demo", Logger: log})
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	svc, err := app.New(app.Options{Config: cfg, DB: db, Logger: log, Version: t.opts.Version})
	if err != nil {
		db.Close()
		return err
	}
	t.db, t.svc = db, svc
	return nil
}

func (t *tour) close() {
	if t.db != nil {
		t.db.Close()
	}
}

// command prints a command line as a user would type it: the command's
// name ("config check"), the tour's config, then args.
func (t *tour) command(name string, args ...string) {
	line := append(strings.Fields(name), "--config", t.cfgPath)
	fmt.Fprintf(t.out, "   $ enspace-sync %s\n", shellJoin(append(line, args...)))
}

// show prints lines of a command's output, indented under its command.
func (t *tour) show(lines ...string) {
	for _, l := range lines {
		fmt.Fprintf(t.out, "     %s\n", l)
	}
}

// showText prints what a renderer writes, indented.
func (t *tour) showText(render func(w io.Writer) error, trim func([]string) []string) error {
	var b strings.Builder
	if err := render(&b); err != nil {
		return err
	}
	lines := splitLines(b.String())
	if trim != nil {
		lines = trim(lines)
	}
	t.show(lines...)
	return nil
}

// say prints a sentence of the tour.
func (t *tour) say(format string, args ...any) {
	fmt.Fprintf(t.out, "   "+format+"\n", args...)
}

// apiDo sends a request to the fake as the demo key on workspace acme, as
// a person's change in the Enspace UI would, and returns the answer's body;
// an answer other than 2xx is an error.
func (t *tour) apiDo(ctx context.Context, method, path, body string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("en-workspace", "acme")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: the API answered %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// backup backs up acme as `enspace-sync backup --workspace acme` does,
// prints the snapshot and records it as the tour's next backup; a snapshot
// that is not complete fails the step.
func (t *tour) backup(ctx context.Context) (*app.BackupResult, error) {
	t.command("backup", "--workspace", "acme")
	res, err := t.svc.Backup(ctx, app.BackupRequest{Workspace: "acme"})
	if err != nil {
		return nil, fmt.Errorf("enspace-sync backup failed: %w", err)
	}
	snap := res.Snapshot
	t.show(app.SnapshotLines(snap)...)
	if snap.Status != snapshot.StatusComplete {
		return nil, fmt.Errorf("snapshot %s is %s, not complete: %v", snap.ShortID(), snap.Status, snap.Errors)
	}
	t.snaps = append(t.snaps, snap)
	return res, nil
}
