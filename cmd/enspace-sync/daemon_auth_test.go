package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// daemonProc is the real program started with `run`: its process, its
// output, and its exit status once it ends.
type daemonProc struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
}

// startDaemon starts the real program with `run --config cfgPath` and
// stops it with an interrupt when the test ends (unless it ended before),
// logging its output if the test failed.
func startDaemon(t *testing.T, cfgPath string) *syncBuffer {
	return startDaemonProc(t, cfgPath).logs
}

// startDaemonProc is startDaemon, for a test that signals the daemon
// itself and waits for its exit.
func startDaemonProc(t *testing.T, cfgPath string) *daemonProc {
	t.Helper()
	d := &daemonProc{cmd: selfCommand("run", "--config", cfgPath), logs: &syncBuffer{}, exited: make(chan error, 1)}
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.exited <- d.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			_ = d.cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = d.cmd.Process.Kill()
				<-done
			}
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logs.String())
		}
	})
	return d
}

// daemonRequest sends a request to the daemon with the token of tokenFile
// ("" sends none) and the Host header host ("" keeps the URL's).
func daemonRequest(c *http.Client, method, url, tokenFile, host string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	if tokenFile != "" {
		tok, err := os.ReadFile(tokenFile)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

func processExit(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestDaemonListenerAuth starts the real daemon: it creates its token
// file (0600) beside the database; without the token /v1/db, /v1/status,
// /v1/trigger/NAME and / answer 401, a foreign Host 421; /healthz,
// /readyz and (on loopback) /metrics stay open. status, trigger, login-url
// and the read commands work with the token file, and say why not
// without it. status and trigger need no API key file.
func TestDaemonListenerAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; not in -short")
	}
	fake, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(fake)
	defer api.Close()
	dir := t.TempDir()
	listen := freeAddr(t)
	cfgPath := writeDaemonConfig(t, dir, api.URL, listen)
	base := "http://" + listen
	tokenFile := filepath.Join(dir, "db", "listen.token")
	startDaemon(t, cfgPath)
	waitUntil(t, 10*time.Second, "the listener", func() bool {
		code, _, err := daemonRequest(http.DefaultClient, "GET", base+"/healthz", "", "")
		return err == nil && code == 200
	})

	fi, err := os.Stat(tokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
	}
	for _, tc := range []struct {
		method, path, token, host string
		want                      int
	}{
		{"GET", "/v1/db", "", "", 401},
		{"GET", "/v1/status", "", "", 401},
		{"POST", "/v1/trigger/acme", "", "", 401},
		{"GET", "/", "", "", 401},
		{"POST", "/v1/login-url", "", "", 401},
		{"GET", "/healthz", "", "", 200},
		{"GET", "/metrics", "", "", 200},
		{"GET", "/v1/status", tokenFile, "", 200},
		{"GET", "/v1/status", tokenFile, "evil.example", 421},
		{"GET", "/healthz", "", "evil.example:80", 421},
		{"GET", "/v1/status", tokenFile, "localhost:1", 200},
	} {
		code, body, err := daemonRequest(http.DefaultClient, tc.method, base+tc.path, tc.token, tc.host)
		if err != nil || code != tc.want {
			t.Errorf("%s %s (token %v, Host %q) = %d %.100s %v, want %d", tc.method, tc.path, tc.token != "", tc.host, code, body, err, tc.want)
		}
	}

	// The commands, with the token file beside the database. status and
	// trigger do not read the API key file.
	noKey := filepath.Join(dir, "nokey.yaml")
	text, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(noKey, []byte(strings.Replace(string(text), "api_key_file: key", "api_key_file: missing.key", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "a snapshot", func() bool { return countSnapshots(t, cfgPath) >= 1 })
	out, err := runSelf(t, "status", "--config", noKey)
	if err != nil || !strings.Contains(out, "last run") {
		t.Errorf("status: %v\n%s", err, out)
	}
	waitUntil(t, 20*time.Second, "a triggered run", func() bool {
		out, err = runSelf(t, "trigger", "--config", noKey, "--wait", "acme")
		return !strings.Contains(out, "already in progress")
	})
	if err != nil || !strings.Contains(out, "acme: backup complete") {
		t.Errorf("trigger --wait: %v\n%s", err, out)
	}
	if out, err := runSelf(t, "snapshots", "--config", cfgPath); err != nil || !strings.Contains(out, "complete") {
		t.Errorf("snapshots through /v1/db: %v\n%s", err, out)
	}

	// A browser logs in once.
	out, err = runSelf(t, "login-url", "--config", cfgPath)
	loginURL := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(loginURL, base+"/login?t=") {
		t.Fatalf("login-url: %v\n%s", err, out)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("GET the login URL = %d, cookies %v", resp.StatusCode, cookies)
	}
	req, _ := http.NewRequest("GET", base+"/v1/status", nil)
	req.AddCookie(cookies[0])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /v1/status with the session: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// The session opens the dashboard the daemon serves at /.
	req, _ = http.NewRequest("GET", base+"/", nil)
	req.AddCookie(cookies[0])
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Errorf("GET / with the session: %v", err)
	} else {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "acme") || !strings.Contains(string(page), "<svg") {
			t.Errorf("GET / with the session = %d, want the overview naming acme with its sparkline\n%.400s", resp.StatusCode, page)
		}
	}
	req, _ = http.NewRequest("GET", base+"/workspaces/acme", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(mustRead(t, tokenFile))))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /workspaces/acme with the token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// ui, with the daemon running, hands out a login to the daemon's pages.
	out, err = runSelf(t, "ui", "--config", cfgPath, "--no-open")
	if err != nil || !strings.Contains(out, "the daemon serves the dashboard: open "+base+"/login?t=") {
		t.Errorf("ui with the daemon running: %v\n%s", err, out)
	}
	req, _ = http.NewRequest("POST", base+"/v1/trigger/acme", nil)
	req.AddCookie(cookies[0])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /v1/trigger with the session cookie alone: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := noRedirect.Get(loginURL); err != nil || resp.StatusCode != 401 {
		t.Errorf("the login URL a second time: %v %v, want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	out, err = runSelf(t, "login-url", "--config", cfgPath, "--json")
	var lu map[string]any
	if err != nil || json.Unmarshal([]byte(out), &lu) != nil || lu["path"] == nil || lu["url"] == nil || lu["expires_at"] == nil {
		t.Errorf("login-url --json: %v\n%s", err, out)
	}

	// Anyone without the daemon's token: another token, or a token file
	// others may read, gets 401 and exit status 1, and is told why.
	wrong := filepath.Join(dir, "wrong.token")
	if err := os.WriteFile(wrong, []byte("not-the-daemons-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.token")
	tok, _ := os.ReadFile(tokenFile)
	if err := os.WriteFile(open, tok, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, why string }{
		{wrong, "is not the daemon's"},
		{open, "chmod 600"},
	} {
		other := filepath.Join(dir, "other.yaml")
		if err := os.WriteFile(other, append(text, []byte("listen_token_file: "+tc.file+"\n")...), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"status"}, {"trigger", "acme"}, {"login-url"}, {"snapshots"}} {
			out, err := runSelf(t, append(args, "--config", other)...)
			if processExit(err) != ExitError || !strings.Contains(out, "401") || !strings.Contains(out, tc.why) {
				t.Errorf("%s with token file %s: exit %d, want 1, 401 and %q\n%s", args[0], filepath.Base(tc.file), processExit(err), tc.why, out)
			}
			if strings.Contains(out, strings.TrimSpace(string(tok))) {
				t.Errorf("%s prints the token", args[0])
			}
		}
	}
}

// TestDaemonUnixSocket runs the daemon on a unix socket with its mode and
// group: status, trigger and the read commands reach it there, and a
// request without the token gets 401.
func TestDaemonUnixSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; not in -short")
	}
	fake, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(fake)
	defer api.Close()
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("", "es") // socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "sock")
	group, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skipf("no name for the group %d: %v", os.Getgid(), err)
	}
	cfgPath := writeDaemonConfig(t, dir, api.URL, "unix:"+sock)
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("listen_socket: {mode: \"0660\", group: " + group.Name + "}\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	startDaemon(t, cfgPath)
	overSocket := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	waitUntil(t, 10*time.Second, "the socket", func() bool {
		code, _, err := daemonRequest(overSocket, "GET", "http://localhost/healthz", "", "")
		return err == nil && code == 200
	})
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket: %v, %v; want a socket of mode 0660", fi.Mode(), err)
	}
	tokenFile := filepath.Join(dir, "db", "listen.token")
	for _, tc := range []struct {
		path, token string
		want        int
	}{{"/v1/status", "", 401}, {"/v1/db", "", 401}, {"/metrics", "", 401}, {"/v1/status", tokenFile, 200}} {
		if code, _, err := daemonRequest(overSocket, "GET", "http://localhost"+tc.path, tc.token, ""); err != nil || code != tc.want {
			t.Errorf("GET %s over the socket (token %v) = %d %v, want %d", tc.path, tc.token != "", code, err, tc.want)
		}
	}
	waitUntil(t, 20*time.Second, "a snapshot", func() bool { return countSnapshots(t, cfgPath) >= 1 })
	out, err := runSelf(t, "status", "--config", cfgPath)
	if err != nil || !strings.Contains(out, "at unix:"+sock) {
		t.Errorf("status over the socket: %v\n%s", err, out)
	}
	waitUntil(t, 20*time.Second, "a triggered run", func() bool {
		out, err = runSelf(t, "trigger", "--config", cfgPath, "--wait", "acme")
		return !strings.Contains(out, "already in progress")
	})
	if err != nil || !strings.Contains(out, "acme: backup complete") {
		t.Errorf("trigger --wait over the socket: %v\n%s", err, out)
	}
	if out, err := runSelf(t, "diff", "--config", cfgPath, "--stat"); err != nil {
		t.Errorf("diff over the socket: %v\n%s", err, out)
	}
	if out, err := runSelf(t, "login-url", "--config", cfgPath); err != nil || !strings.HasPrefix(out, "/login?t=") {
		t.Errorf("login-url over the socket: %v\n%s", err, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
