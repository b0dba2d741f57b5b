package listenauth

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testToken = "0123456789abcdef0123456789abcdef"

// testClock is a settable clock.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func newGuard(t testing.TB, c *testClock) *Guard {
	t.Helper()
	o := Options{Token: testToken, Hosts: []string{"backup.example.", "LISTEN.example:9464"}}
	if c != nil {
		o.Now = c.Now
	}
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ok is a handler that answers 200 and the CSRF token it is given.
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok " + CSRFToken(r))) })

// at makes r arrive at the local address addr, as a real listener would.
func at(r *http.Request, addr string) *http.Request {
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		panic(err)
	}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, ap))
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestGuardLevels(t *testing.T) {
	g := newGuard(t, nil)
	open, metrics, token, protect := g.Open(ok), g.Metrics(ok), g.Token(ok), g.Protect(ok)
	for _, tc := range []struct {
		name    string
		h       http.Handler
		host    string
		local   string // the address the request arrived at; "" none
		auth    string
		want    int
		handler string
	}{
		{"open, by IP", open, "127.0.0.1:9464", "127.0.0.1:9464", "", 200, "open"},
		{"open, localhost", open, "localhost:9464", "", "", 200, "open"},
		{"open, listed name with a trailing dot", open, "Backup.Example:80", "", "", 200, "open"},
		{"open, listed listen host", open, "listen.example:1", "", "", 200, "open"},
		{"open, rebinding", open, "evil.example:9464", "127.0.0.1:9464", "", 421, "open"},
		{"open, another IP", open, "10.1.2.3:9464", "127.0.0.1:9464", "", 421, "open"},
		{"open, no host", open, "", "", "", 421, "open"},
		{"open, the address it arrived at", open, "[::1]:9464", "[::1]:9464", "", 200, "open"},
		{"metrics, loopback", metrics, "127.0.0.1:9464", "127.0.0.1:9464", "", 200, "metrics"},
		{"metrics, elsewhere", metrics, "192.0.2.7:9464", "192.0.2.7:9464", "", 401, "metrics"},
		{"metrics, elsewhere with the token", metrics, "192.0.2.7:9464", "192.0.2.7:9464", "Bearer " + testToken, 200, "metrics"},
		{"metrics, unix socket", metrics, "localhost", "", "", 401, "metrics"},
		{"metrics, rebinding on loopback", metrics, "evil.example", "127.0.0.1:9464", "", 421, "metrics"},
		{"token, none", token, "localhost", "", "", 401, "token"},
		{"token, wrong", token, "localhost", "", "Bearer " + strings.Repeat("0", 32), 401, "token"},
		{"token, prefix", token, "localhost", "", "Bearer " + testToken[:31], 401, "token"},
		{"token, basic scheme", token, "localhost", "", "Basic " + testToken, 401, "token"},
		{"token, right, scheme in lower case", token, "localhost", "", "bearer  " + testToken, 200, "token"},
		{"token, right but rebinding", token, "evil.example", "", "Bearer " + testToken, 421, "token"},
		{"protect, none", protect, "localhost", "", "", 401, "protect"},
		{"protect, token", protect, "localhost", "", "Bearer " + testToken, 200, "protect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Host = tc.host
			if tc.local != "" {
				r = at(r, tc.local)
			}
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			rec := serve(tc.h, r)
			if rec.Code != tc.want {
				t.Errorf("%s = %d %s, want %d", tc.handler, rec.Code, rec.Body, tc.want)
			}
			if strings.Contains(rec.Body.String(), testToken) {
				t.Errorf("the answer shows the token")
			}
		})
	}
}

// login logs a browser in through a one-time URL and returns its cookie.
func login(t *testing.T, g *Guard) *http.Cookie {
	t.Helper()
	path, _ := g.LoginURL()
	rec := serve(g.Open(http.HandlerFunc(g.HandleLogin)), httptest.NewRequest("GET", "http://localhost"+path, nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("GET %s = %d, Location %q; want 303 to /", path, rec.Code, rec.Header().Get("Location"))
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies", len(cookies))
	}
	return cookies[0]
}

func TestLoginSessionAndCSRF(t *testing.T) {
	c := &testClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	g := newGuard(t, c)
	cookie := login(t, g)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.Name != SessionCookie {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", cookie)
	}
	protect := g.Protect(ok)

	get := httptest.NewRequest("GET", "http://localhost/", nil)
	get.AddCookie(cookie)
	rec := serve(protect, get)
	csrf := strings.TrimPrefix(rec.Body.String(), "ok ")
	if rec.Code != 200 || len(csrf) != 64 {
		t.Fatalf("GET with the session = %d %q, want 200 and a CSRF token", rec.Code, rec.Body)
	}
	post := func(form url.Values, header string) int {
		r := httptest.NewRequest("POST", "http://localhost/v1/trigger/acme", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			r.Header.Set(CSRFHeader, header)
		}
		r.AddCookie(cookie)
		return serve(protect, r).Code
	}
	if code := post(nil, ""); code != http.StatusForbidden {
		t.Errorf("POST with the cookie alone = %d, want 403", code)
	}
	if code := post(url.Values{CSRFField: {"nope"}}, ""); code != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token = %d, want 403", code)
	}
	if code := post(url.Values{CSRFField: {csrf}}, ""); code != 200 {
		t.Errorf("POST with the CSRF form field = %d, want 200", code)
	}
	if code := post(nil, csrf); code != 200 {
		t.Errorf("POST with the CSRF header = %d, want 200", code)
	}

	// A one-time URL works once.
	path, _ := g.LoginURL()
	h := g.Open(http.HandlerFunc(g.HandleLogin))
	if code := serve(h, httptest.NewRequest("GET", "http://localhost"+path, nil)).Code; code != http.StatusSeeOther {
		t.Fatalf("first use = %d", code)
	}
	if code := serve(h, httptest.NewRequest("GET", "http://localhost"+path, nil)).Code; code != 401 {
		t.Errorf("second use of a one-time URL = %d, want 401", code)
	}
	if code := serve(h, httptest.NewRequest("GET", "http://localhost/login?t=forged", nil)).Code; code != 401 {
		t.Errorf("a forged login = %d, want 401", code)
	}
	// It expires.
	path, _ = g.LoginURL()
	c.now = c.now.Add(DefaultLoginTTL + time.Second)
	if code := serve(h, httptest.NewRequest("GET", "http://localhost"+path, nil)).Code; code != 401 {
		t.Errorf("an expired login URL = %d, want 401", code)
	}
	// So do sessions.
	c.now = c.now.Add(DefaultSessionTTL)
	if code := serve(protect, get).Code; code != 401 {
		t.Errorf("GET with an expired session = %d, want 401", code)
	}
}

func TestSessionsBounded(t *testing.T) {
	g := newGuard(t, nil)
	for range maxSessions + 10 {
		login(t, g)
	}
	g.mu.Lock()
	n := len(g.sessions)
	g.mu.Unlock()
	if n > maxSessions {
		t.Errorf("%d sessions kept, want at most %d", n, maxSessions)
	}
}

func TestNewWithoutToken(t *testing.T) {
	if _, err := New(Options{}); err != ErrNoToken {
		t.Errorf("New without a token = %v, want ErrNoToken", err)
	}
}
