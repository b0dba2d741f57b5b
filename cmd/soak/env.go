package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// buildBinary builds the enspace-sync command into dir and returns its path.
func buildBinary(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "enspace-sync")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/enspace-sync")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build enspace-sync: %w\n%s", err, out)
	}
	return bin, nil
}

// fake is a fake Enspace API served on a loopback port.
type fake struct {
	srv *fakeapi.Server
	url string
	hs  *http.Server
}

// startFake serves a new fake API, optionally through wrap.
func startFake(opts fakeapi.Options, wrap func(http.Handler) http.Handler) (*fake, error) {
	srv, err := fakeapi.New(opts)
	if err != nil {
		return nil, fmt.Errorf("fake api: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	f := &fake{srv: srv, url: "http://" + ln.Addr().String(), hs: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = f.hs.Serve(ln) }()
	return f, nil
}

// close stops the server.
func (f *fake) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := f.hs.Shutdown(ctx); err != nil {
		_ = f.hs.Close()
	}
}

// workdir is one scenario's directory: its config, key file and database.
type workdir struct {
	bin string
	dir string
	cfg string
	db  string
}

// configOptions shape the config a workdir writes.
type configOptions struct {
	url       string
	apiKey    string // "" means the fake's demo key
	logLevel  string // "" means error
	envExtra  string // more lines of the environment, indented by four spaces
	copyWS    bool   // also configure the workspace acme-copy
	listen    string // "" means off
	topExtra  string // more top-level lines
	workspace string // "" means acme
}

// newWorkdir creates dir and writes its key file and config.
func newWorkdir(bin, dir string, o configOptions) (*workdir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key := o.apiKey
	if key == "" {
		key = fakeapi.DemoAPIKey
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(key+"\n"), 0o600); err != nil {
		return nil, err
	}
	level, listen, ws := o.logLevel, o.listen, o.workspace
	if level == "" {
		level = "error"
	}
	if listen == "" {
		listen = "off"
	}
	if ws == "" {
		ws = "acme"
	}
	w := &workdir{bin: bin, dir: dir, cfg: filepath.Join(dir, "config.yaml"), db: filepath.Join(dir, "db", "enspace-sync.db")}
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlog: {level: %s}\nlisten: %q\n%s", w.db, level, listen, o.topExtra)
	fmt.Fprintf(&b, "environments:\n  local:\n    base_url: %s\n    api_key_file: key\n    requests_per_second: 0\n", o.url)
	if o.envExtra != "" {
		for _, line := range strings.Split(strings.TrimRight(o.envExtra, "\n"), "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	fmt.Fprintf(&b, "workspaces:\n  - name: %s\n    environment: local\n", ws)
	if o.copyWS {
		b.WriteString("  - name: acme-copy\n    environment: local\n")
	}
	if err := os.WriteFile(w.cfg, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	return w, nil
}

// result is how one run of the program ended.
type result struct {
	out    string // stdout and stderr together
	stdout string
	code   int // exit status; -N when killed by signal N
	took   time.Duration
}

// run runs the program with the config appended and waits for it.
func (w *workdir) run(args ...string) result {
	cmd := w.command(args...)
	var out, stdout bytes.Buffer
	both := &multi{a: &out, b: &stdout}
	cmd.Stdout = both
	cmd.Stderr = &lockedWriter{m: both}
	start := time.Now()
	err := cmd.Run()
	return result{out: out.String(), stdout: stdout.String(), code: exitCode(err), took: time.Since(start)}
}

// command prepares a run of the program with the config appended.
func (w *workdir) command(args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, append(args, "--config", w.cfg)...)
	cmd.Env = append(os.Environ(), "ENSPACE_SYNC_CONFIG=")
	return cmd
}

// multi writes to both buffers, as stdout goes to the combined output and
// to its own; b nil writes to a only. The lock is shared with stderr.
type multi struct {
	mu   sync.Mutex
	a, b *bytes.Buffer
}

func (m *multi) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.a.Write(p)
	return m.b.Write(p)
}

// lockedWriter writes stderr into the combined output under stdout's lock.
type lockedWriter struct{ m *multi }

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	return l.m.a.Write(p)
}

// exitCode turns an error of exec into the exit status, or minus the signal
// that ended the process.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1000
}

// fileSize is the size of a file, 0 when it is missing.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// panicked tells whether output shows a Go panic or a stack trace.
func panicked(out string) bool {
	return strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") || strings.Contains(out, ".go:")
}
