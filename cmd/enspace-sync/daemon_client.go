package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// daemonClient talks to the listener of a running daemon (`enspace-sync run`).
type daemonClient struct {
	addr string // host:port, for messages
	base string // http://host:port
	http *http.Client
}

// errNoDaemon says that nothing answers at the config's listen address.
var errNoDaemon = errors.New("the daemon is not running")

// daemonFor returns a client for the daemon of cfg, or nil when its
// listener is off. A listener bound to every interface is reached on
// 127.0.0.1.
func daemonFor(cfg *config.Config) *daemonClient {
	addr := cfg.ListenAddr()
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	hp := net.JoinHostPort(host, port)
	return &daemonClient{addr: addr, base: "http://" + hp, http: &http.Client{}}
}

// down is the error for a daemon that does not answer: exit status 1.
func (c *daemonClient) down(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the method and URL
	}
	return fmt.Errorf("%w: nothing answers at %s (the config's listen): %v; start it with enspace-sync run, or systemctl start enspace-sync",
		errNoDaemon, c.addr, err)
}

// alive reports whether the daemon answers /healthz within a second.
func (c *daemonClient) alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (c *daemonClient) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	return c.http.Do(req)
}

// call sends a request and decodes the JSON answer into v; it returns the
// status code. A daemon that does not answer gives errNoDaemon.
func (c *daemonClient) call(ctx context.Context, method, path string, v any) (int, error) {
	resp, err := c.do(ctx, method, path)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, c.down(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read the daemon's answer: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("the daemon at %s answered %d with something other than JSON: %.200s", c.addr, resp.StatusCode, body)
	}
	return resp.StatusCode, nil
}

// openCopy fetches a consistent copy of the database from the daemon into
// a private temporary file (mode 0600, removed when the command ends) and
// opens it read-only.
func (c *daemonClient) openCopy(m *Main) (*snapshot.DB, error) {
	f, err := os.CreateTemp("", "enspace-sync-db-*.db")
	if err != nil {
		return nil, fmt.Errorf("a temporary copy of the database: %w", err)
	}
	path := f.Name()
	m.onClose(func() error { return removeIfExists(path) })
	n, err := c.download(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy the database from the daemon at %s: %w", c.addr, err)
	}
	m.log.Info("the daemon holds the database: reading a consistent copy it served", "daemon", c.addr, "bytes", n)
	db, err := snapshot.Open(path, snapshot.Options{ReadOnly: true, Timeout: -1, Logger: m.log})
	if err != nil {
		return nil, fmt.Errorf("open the copy served by the daemon: %w", err)
	}
	m.onClose(db.Close)
	return db, nil
}

func (c *daemonClient) download(w io.Writer) (int64, error) {
	resp, err := c.do(context.Background(), http.MethodGet, "/v1/db")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return io.Copy(w, resp.Body)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// pathEscape escapes the workspace name in a /v1/trigger/NAME path.
func pathEscape(path string) string {
	const prefix = "/v1/trigger/"
	name, query, _ := strings.Cut(strings.TrimPrefix(path, prefix), "?")
	out := prefix + url.PathEscape(name)
	if query != "" {
		out += "?" + query
	}
	return out
}
