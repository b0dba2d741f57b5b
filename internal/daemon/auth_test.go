package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/listenauth"
)

// arriving makes r look as if it arrived at the local address addr.
func arriving(r *http.Request, addr string) *http.Request {
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		panic(err)
	}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, ap))
}

// ask sends one request to h: arriving at local ("" none), with the
// given Authorization header and cookie.
func ask(h http.Handler, method, target, host, local, auth string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if local != "" {
		req = arriving(req, local)
	}
	req.Host = host
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestListenerGuard(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@daily"})
	h := d.Handler()
	const lo, host = "127.0.0.1:9464", "127.0.0.1:9464"
	bearer := "Bearer " + testToken
	for _, tc := range []struct {
		method, path, host, local, auth string
		want                            int
	}{
		{"GET", "/healthz", host, lo, "", 200},
		{"GET", "/readyz", host, lo, "", 503}, // open: not ready, no backup yet
		{"GET", "/metrics", host, lo, "", 200},
		{"GET", "/metrics", "192.0.2.9:9464", "192.0.2.9:9464", "", 401},
		{"GET", "/metrics", "192.0.2.9:9464", "192.0.2.9:9464", bearer, 200},
		{"GET", "/v1/status", host, lo, "", 401},
		{"GET", "/v1/db", host, lo, "", 401},
		{"POST", "/v1/trigger/acme", host, lo, "", 401},
		{"GET", "/", host, lo, "", 401},
		{"POST", "/v1/login-url", host, lo, "", 401},
		{"GET", "/v1/status", host, lo, "Bearer wrong-token-0123456789", 401},
		{"GET", "/v1/status", host, lo, bearer, 200},
		{"GET", "/v1/db", host, lo, bearer, 200},
		{"GET", "/", host, lo, bearer, 404}, // no UI mounted
		{"GET", "/v1/status", "evil.example", lo, bearer, 421},
		{"GET", "/healthz", "evil.example:9464", lo, "", 421},
		{"GET", "/v1/status", "localhost:9464", "", bearer, 200},
	} {
		rec := ask(h, tc.method, tc.path, tc.host, tc.local, tc.auth, nil)
		if rec.Code != tc.want {
			t.Errorf("%s %s Host %s auth %v = %d %s, want %d", tc.method, tc.path, tc.host, tc.auth != "", rec.Code, rec.Body, tc.want)
		}
	}
}

// TestLoginAndUI logs a browser in through a one-time URL and reaches a
// mounted UI with the session cookie; a form POST needs the CSRF token.
func TestLoginAndUI(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d, err := New(Options{Jobs: JobFuncs{Backup: b.Backup, History: b.History}, DB: fakeDB{"x"}, Clock: c,
		Logger: slog.New(slog.DiscardHandler), Listen: "127.0.0.1:9464", Token: testToken,
		UI: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "ui %s %s", r.Method, listenauth.CSRFToken(r))
		})}, Settings{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	const host = "localhost:9464"
	rec := ask(h, "POST", "/v1/login-url", host, "", "Bearer "+testToken, nil)
	var lu LoginURL
	if err := json.Unmarshal(rec.Body.Bytes(), &lu); rec.Code != 200 || err != nil || !strings.HasPrefix(lu.Path, "/login?t=") {
		t.Fatalf("POST /v1/login-url = %d %s (%v)", rec.Code, rec.Body, err)
	}
	if !lu.ExpiresAt.After(t0) {
		t.Errorf("expires_at %v", lu.ExpiresAt)
	}
	rec = ask(h, "GET", lu.Path, host, "", "", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("GET %s = %d Location %q", lu.Path, rec.Code, rec.Header().Get("Location"))
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v", cookie)
	}
	if again := ask(h, "GET", lu.Path, host, "", "", nil); again.Code != 401 {
		t.Errorf("the one-time URL a second time = %d, want 401", again.Code)
	}
	rec = ask(h, "GET", "/", host, "", "", cookie)
	csrf := strings.TrimPrefix(rec.Body.String(), "ui GET ")
	if rec.Code != 200 || len(csrf) != 64 {
		t.Fatalf("GET / with the session = %d %q", rec.Code, rec.Body)
	}
	if rec := ask(h, "GET", "/v1/status", host, "", "", cookie); rec.Code != 200 {
		t.Errorf("GET /v1/status with the session = %d", rec.Code)
	}
	if rec := ask(h, "POST", "/v1/trigger/acme", host, "", "", cookie); rec.Code != http.StatusForbidden {
		t.Errorf("POST /v1/trigger with the cookie alone = %d, want 403", rec.Code)
	}
	if rec := ask(h, "POST", "/v1/login-url", host, "", "", cookie); rec.Code != 401 {
		t.Errorf("POST /v1/login-url with a session = %d, want 401 (the token only)", rec.Code)
	}
	req := httptest.NewRequest("POST", "/settings", strings.NewReader(url.Values{listenauth.CSRFField: {csrf}}.Encode()))
	req.Host = host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "ui POST") {
		t.Errorf("a form POST with the CSRF token = %d %s", rec.Code, rec.Body)
	}
}

// TestClientToken: the client sends the token of its file; without a
// readable file the daemon's 401 becomes ErrUnauthorized, which says why.
func TestClientToken(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@daily"})
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	listen := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte(testToken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if st, err := NewClient(listen, good).Status(ctx); err != nil || len(st.Workspaces) != 1 {
		t.Errorf("Status with the token = %+v, %v", st, err)
	}
	var buf strings.Builder
	if n, err := NewClient(listen, good).Download(&buf); err != nil || n == 0 {
		t.Errorf("Download with the token = %d, %v", n, err)
	}
	for _, file := range []string{open, filepath.Join(dir, "missing")} {
		_, err := NewClient(listen, file).Status(ctx)
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "run as root or as the daemon's user") {
			t.Errorf("Status with token file %s: %v, want ErrUnauthorized", filepath.Base(file), err)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("the error shows the token: %v", err)
		}
		if _, err := NewClient(listen, file).Download(io.Discard); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Download with token file %s: %v, want ErrUnauthorized", filepath.Base(file), err)
		}
	}
	if lu, err := NewClient(listen, good).LoginURL(ctx); err != nil || lu.URL != srv.URL+lu.Path {
		t.Errorf("LoginURL = %+v, %v", lu, err)
	}
}

// TestUnixSocket listens on a unix socket with its mode, and the client
// reaches it.
func TestUnixSocket(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	dir, err := os.MkdirTemp("", "sock") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sock")
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte(testToken), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second start replaces the socket the first left behind
		d, err := New(Options{Jobs: JobFuncs{Backup: b.Backup, History: b.History}, DB: fakeDB{"x"}, Clock: c,
			Logger: slog.New(slog.DiscardHandler), Listen: "unix:" + path, SocketMode: 0o660, Token: testToken},
			Settings{Workspaces: []Workspace{{Name: "acme", Schedule: "@daily"}}, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := d.Listen()
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		d.Serve(ln)
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o660 {
			t.Errorf("socket mode = %v, %v; want 0660", fi.Mode(), err)
		}
		dc := NewClient("unix:"+path, filepath.Join(dir, "tok"))
		if !dc.Alive(t.Context()) {
			t.Error("the client does not reach /healthz over the socket")
		}
		if st, err := dc.Status(t.Context()); err != nil || len(st.Workspaces) != 1 {
			t.Errorf("Status over the socket = %+v, %v", st, err)
		}
		if lu, err := dc.LoginURL(t.Context()); err != nil || lu.URL != "" || lu.Path == "" {
			t.Errorf("LoginURL over the socket = %+v, %v; want a path and no URL", lu, err)
		}
		if _, err := NewClient("unix:"+path, "").Status(t.Context()); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Status over the socket without the token: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.Stop(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
}
