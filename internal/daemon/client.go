package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/listenauth"
)

// Sentinel errors of the Client.
var (
	// ErrNotRunning says that nothing answers at the daemon's listen address.
	ErrNotRunning = errors.New("the daemon is not running")
	// ErrUnauthorized says that the daemon refused the request for want of
	// its token (401).
	ErrUnauthorized = errors.New("the daemon refused the request (401)")
)

// Client talks to the listener of a running daemon: the command line's
// status, trigger, login-url, and the read commands that read a copy of
// the database the daemon holds. It sends the token it reads from the
// token file with every request.
type Client struct {
	addr      string // the listen address, for messages
	base      string // http://host:port, or http://localhost for a unix socket
	unix      bool
	tokenFile string
	http      *http.Client
}

// NewClient returns a client for the daemon listening at listen (the
// config's listen address: host:port or unix:PATH), which reads the
// listener's token from tokenFile, or nil when the listener is off. A
// listener bound to every interface is reached on 127.0.0.1.
func NewClient(listen, tokenFile string) *Client {
	if listen == "" {
		return nil
	}
	if path, ok := socketPath(listen); ok {
		dialer := &net.Dialer{}
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		}}
		return &Client{addr: listen, base: "http://localhost", unix: true, tokenFile: tokenFile, http: &http.Client{Transport: tr}}
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return &Client{addr: listen, base: "http://" + net.JoinHostPort(host, port), tokenFile: tokenFile, http: &http.Client{}}
}

// Addr is the listen address the client was made for.
func (c *Client) Addr() string { return c.addr }

// down is the error for a daemon that does not answer.
func (c *Client) down(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the method and URL
	}
	return fmt.Errorf("%w: nothing answers at %s (the config's listen): %v; start it with enspace-sync run, or systemctl start enspace-sync",
		ErrNotRunning, c.addr, err)
}

// Alive reports whether the daemon answers /healthz within a second.
func (c *Client) Alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (c *Client) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if tok, err := listenauth.ReadToken(c.tokenFile); err == nil {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return c.http.Do(req)
}

// refused is the error for a 401: why the token did not do.
func (c *Client) refused() error {
	if _, err := listenauth.ReadToken(c.tokenFile); err != nil {
		return fmt.Errorf("%w at %s: without its token: %v; run as root or as the daemon's user, who can read it", ErrUnauthorized, c.addr, err)
	}
	return fmt.Errorf("%w at %s: the token in %s is not the daemon's (was it started with another listen_token_file?)", ErrUnauthorized, c.addr, c.tokenFile)
}

// call sends a request and decodes the JSON answer into v; it returns the
// status code. A daemon that does not answer gives ErrNotRunning.
func (c *Client) call(ctx context.Context, method, path string, v any) (int, error) {
	resp, err := c.do(ctx, method, path)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, c.down(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return resp.StatusCode, c.refused()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read the daemon's answer: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("the daemon at %s answered %d with something other than JSON: %.200s", c.addr, resp.StatusCode, body)
	}
	return resp.StatusCode, nil
}

// Status reads the daemon's status (GET /v1/status).
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	code, err := c.call(ctx, http.MethodGet, "/v1/status", &st)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("the daemon at %s answered %d", c.addr, code)
	}
	return st, err
}

// Trigger starts a run of the named job (POST /v1/trigger/NAME); with wait,
// the answer carries the run's outcome. An answer it cannot act on is an
// error beside the answer: ErrUnknownWorkspace (404) and ErrBusy (409)
// wrapped, or one naming the status.
func (c *Client) Trigger(ctx context.Context, name string, wait bool) (TriggerAnswer, error) {
	path := "/v1/trigger/" + url.PathEscape(name)
	if wait {
		path += "?wait=1"
	}
	var ans TriggerAnswer
	code, err := c.call(ctx, http.MethodPost, path, &ans)
	switch {
	case err != nil:
		return ans, err
	case code == http.StatusNotFound:
		return ans, fmt.Errorf("%w: %s", ErrUnknownWorkspace, ans.Error)
	case code == http.StatusConflict:
		return ans, fmt.Errorf("%s: %w", name, ErrBusy)
	case !ans.Started || (code != http.StatusAccepted && code != http.StatusOK):
		return ans, fmt.Errorf("the daemon at %s answered %d: %s", c.addr, code, ans.Error)
	}
	return ans, nil
}

// Download writes a consistent copy of the database the daemon holds
// (GET /v1/db) to w.
func (c *Client) Download(w io.Writer) (int64, error) {
	resp, err := c.do(context.Background(), http.MethodGet, "/v1/db")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return 0, c.refused()
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return io.Copy(w, resp.Body)
}

// LoginURL asks the daemon for a one-time login URL for a browser (POST
// /v1/login-url). URL is the address a browser on this machine opens; over
// a unix socket there is none, and only Path is set.
func (c *Client) LoginURL(ctx context.Context) (LoginURL, error) {
	var ans LoginURL
	code, err := c.call(ctx, http.MethodPost, "/v1/login-url", &ans)
	switch {
	case err != nil:
		return ans, err
	case code != http.StatusOK || !strings.HasPrefix(ans.Path, "/"):
		return ans, fmt.Errorf("the daemon at %s answered %d without a login URL", c.addr, code)
	}
	if !c.unix {
		ans.URL = c.base + ans.Path
	}
	return ans, nil
}
