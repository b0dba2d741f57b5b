package main

import (
	"bytes"
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
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// demo is one run of the guided tour: where its files are, the fake API
// it talks to, and what its steps found for the steps after them.
type demo struct {
	m        *Main // the demo's own streams
	dir      string
	kept     bool
	logLevel string // passed on to every command; "" leaves the config's (warn)
	start    time.Time
	step     int

	fake    *fakeapi.Server
	url     string
	cfgPath string
	dbPath  string

	// Found by the steps.
	snaps      []*snapshot.Snapshot // the backups of acme, in order
	noteField  string               // the id of the field the person added
	exportPath string
}

// demoStep is one step of the tour: run prints what it does and returns
// the sentence of its check, or why the check failed.
type demoStep struct {
	title string
	run   func(ctx context.Context, d *demo) (string, error)
}

// startFake serves the demo data on a free port of 127.0.0.1 and returns
// what stops it.
func (d *demo) startFake(latency time.Duration) (stop func(), err error) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		return nil, fmt.Errorf("start the fake API: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the fake API: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) // ends with Shutdown; a failure shows as failing requests
	d.fake, d.url = srv, "http://"+ln.Addr().String()
	d.cfgPath = filepath.Join(d.dir, "config.yaml")
	d.dbPath = filepath.Join(d.dir, "enspace-sync.db")
	// Close, not Shutdown: nothing is in flight once the steps are over,
	// and Shutdown would wait for connections a client dialled but never used.
	return func() { _ = hs.Close() }, nil
}

// writeConfig writes the API key file and a config for the fake with the
// workspaces acme (production) and acme-stage (stage), and returns the
// config's text.
func (d *demo) writeConfig() (string, error) {
	if err := os.WriteFile(filepath.Join(d.dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
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
`, d.url, quote(d.dbPath))
	if err := os.WriteFile(d.cfgPath, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("write the config: %w", err)
	}
	return text, nil
}

// demoOutput is what one command printed.
type demoOutput struct {
	stdout string
	taken  []string // the stderr lines the step presents itself
}

// exec prints a command line as a user would type it and runs it in this
// process against the demo's config. Stderr lines that take accepts are
// returned for the step to present; the others pass through to stderr.
// A non-zero exit status is an error, after the command's output.
func (d *demo) exec(ctx context.Context, take func(line string) bool, args ...string) (*demoOutput, error) {
	if d.logLevel != "" {
		args = append(args, "--log-level", d.logLevel)
	}
	fmt.Fprintf(d.m.Stdout, "   $ enspace-sync %s\n", shellJoin(args))
	var stdout, stderr bytes.Buffer
	sub := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: d.m.Getenv,
		log: slog.New(slog.DiscardHandler)}
	err := sub.Run(ctx, args)
	if cerr := sub.Close(); err == nil {
		err = cerr
	}
	code := sub.ReportError(err)
	out := &demoOutput{stdout: stdout.String()}
	var passed []string
	for _, line := range splitLines(stderr.String()) {
		if code == ExitOK && take != nil && take(line) {
			out.taken = append(out.taken, line)
		} else {
			passed = append(passed, line)
		}
	}
	if code == ExitOK {
		for _, line := range passed {
			fmt.Fprintln(d.m.Stderr, line)
		}
		return out, nil
	}
	d.show(lastLines(splitLines(out.stdout), 20)...)
	d.show(passed...)
	// Why: the error line, else (a partial backup, failed steps) the
	// last line of the output.
	why := ""
	for _, line := range passed {
		if msg, ok := strings.CutPrefix(line, "enspace-sync: "); ok {
			why = msg
			break
		}
	}
	if last := lastLines(splitLines(out.stdout), 1); why == "" && len(last) == 1 {
		why = strings.TrimSpace(last[0])
	}
	name := args[0]
	if c, _ := lookup(args); c != nil {
		name = c.name
	}
	return nil, fmt.Errorf("enspace-sync %s exited with status %d: %s", name, code, why)
}

// show prints lines of a command's output, indented under its command.
func (d *demo) show(lines ...string) {
	for _, l := range lines {
		fmt.Fprintf(d.m.Stdout, "     %s\n", l)
	}
}

// say prints a sentence of the tour.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.m.Stdout, "   "+format+"\n", args...)
}

// apiDo sends a request to the fake as the demo key on workspace acme, as
// a person's change in the Enspace UI would, and returns the answer's body;
// an answer other than 2xx is an error.
func (d *demo) apiDo(ctx context.Context, method, path, body string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.url+path, rd)
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
		return nil, fmt.Errorf("%s %s: the API answered %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}

// withDB opens the demo's database read-only for a check.
func (d *demo) withDB(fn func(db *snapshot.DB) error) error {
	db, err := snapshot.Open(d.dbPath, snapshot.Options{ReadOnly: true, Timeout: 2 * time.Second,
		Command: "enspace-sync demo", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	defer db.Close()
	return fn(db)
}

// latestBackup reads the newest snapshot of acme and records it as the
// demo's next backup.
func (d *demo) latestBackup() (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	err := d.withDB(func(db *snapshot.DB) error {
		snaps, err := db.Snapshots("acme")
		if err != nil {
			return err
		}
		if len(snaps) != len(d.snaps)+1 {
			return fmt.Errorf("%d snapshots of acme after %d backups", len(snaps), len(d.snaps)+1)
		}
		snap = snaps[len(snaps)-1]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if snap.Status != snapshot.StatusComplete {
		return nil, fmt.Errorf("snapshot %s is %s, not complete: %v", snap.ShortID(), snap.Status, snap.Errors)
	}
	d.snaps = append(d.snaps, snap)
	return snap, nil
}

// compare computes the changes from a to b as diff does.
func (d *demo) compare(a, b *snapshot.Snapshot) (*diff.Result, error) {
	var res *diff.Result
	err := d.withDB(func(db *snapshot.DB) error {
		var err error
		res, err = compareSnapshots(db, a, b, nil)
		return err
	})
	return res, err
}

// splitLines splits text into lines without the final empty one.
func splitLines(text string) []string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

func lastLines(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// shellJoin quotes arguments for a POSIX shell where they need it.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,~@%+") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
