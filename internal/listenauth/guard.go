package listenauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultLoginTTL   = 2 * time.Minute
	// SessionCookie is the name of the session cookie.
	SessionCookie = "enspace_sync_session"
	// CSRFField is the form field (and, as X-CSRF-Token, the header) that
	// carries the CSRF token of a session.
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
	// maxSessions and maxLogins bound what unauthenticated-looking traffic
	// can make the guard remember; both need the token to grow.
	maxSessions = 256
	maxLogins   = 64
)

// ErrNoToken is returned by New without a token.
var ErrNoToken = errors.New("listenauth: the guard needs a token")

// Options configure a Guard.
type Options struct {
	// Token is the bearer token. Required.
	Token string
	// Hosts are the names, besides localhost and the listener's own
	// addresses, that requests may put in their Host header (the config's
	// listen host and listen_hosts). Case does not matter; a port is
	// ignored.
	Hosts []string
	// SessionTTL is how long a browser session lasts; zero means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginTTL is how long a one-time login URL stays valid; zero means
	// DefaultLoginTTL.
	LoginTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Guard checks the requests of the listener; see the package
// documentation. Its methods are safe for concurrent use.
type Guard struct {
	tokenSum [sha256.Size]byte
	hosts    map[string]bool
	o        Options

	mu       sync.Mutex
	sessions map[string]session   // id -> session
	logins   map[string]time.Time // one-time login -> expiry
}

type session struct {
	csrf    string
	expires time.Time
}

type ctxKey struct{}

// New returns a guard for opts.
func New(opts Options) (*Guard, error) {
	if opts.Token == "" {
		return nil, ErrNoToken
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.LoginTTL <= 0 {
		opts.LoginTTL = DefaultLoginTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Guard{tokenSum: sha256.Sum256([]byte(opts.Token)), hosts: map[string]bool{"localhost": true}, o: opts,
		sessions: map[string]session{}, logins: map[string]time.Time{}}
	for _, h := range opts.Hosts {
		if h = hostName(h); h != "" {
			g.hosts[h] = true
		}
	}
	g.o.Token = "" // kept only as its hash
	return g, nil
}

// hostName is the name of a Host header or a listen address: without the
// port, the brackets of an IPv6 address and a trailing dot, in lower case;
// an IP address in its canonical form.
func hostName(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// HostAllowed reports whether r names the listener: localhost, a name of
// Options.Hosts, or the address the connection arrived at.
func (g *Guard) HostAllowed(r *http.Request) bool {
	h := hostName(r.Host)
	if h == "" {
		return false
	}
	if g.hosts[h] {
		return true
	}
	local := localIP(r)
	return local != nil && net.ParseIP(h).Equal(local)
}

// localIP is the IP address r's connection arrived at, or nil (a unix
// socket, or a request made in a test).
func localIP(r *http.Request) net.IP {
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP
	}
	return nil
}

// Loopback reports whether r arrived at a loopback address over TCP.
func Loopback(r *http.Request) bool {
	ip := localIP(r)
	return ip != nil && ip.IsLoopback()
}

// BearerOK reports whether r carries the token in its Authorization
// header ("Bearer TOKEN", the scheme in any case).
func (g *Guard) BearerOK(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) == 1
}

// misdirected answers 421 to a request that does not name the listener.
func misdirected(w http.ResponseWriter) {
	http.Error(w, "the listener answers only requests to its own address, localhost or a name of listen_hosts", http.StatusMisdirectedRequest)
}

// unauthorized answers 401.
func unauthorized(w http.ResponseWriter, why string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="enspace-sync"`)
	http.Error(w, why, http.StatusUnauthorized)
}

const needToken = "the listener wants its token (Authorization: Bearer, from the token file beside the database) or a browser session (enspace-sync login-url)"

// Open serves h to every request that names the listener.
func (g *Guard) Open(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.HostAllowed(r) {
			misdirected(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Metrics serves h without proof on a loopback address, and with the
// token or a session elsewhere.
func (g *Guard) Metrics(h http.Handler) http.Handler {
	open, protected := g.Open(h), g.Protect(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Loopback(r) {
			open.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// Token serves h only to requests that carry the bearer token.
func (g *Guard) Token(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.HostAllowed(r) {
			misdirected(w)
			return
		}
		if !g.BearerOK(r) {
			unauthorized(w, "this endpoint wants the listener's token (Authorization: Bearer)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Protect serves h to requests with the bearer token or a session cookie;
// a state-changing request with the cookie alone must carry the session's
// CSRF token too (403 otherwise). Under a session, CSRFToken(r) gives h
// the token for its forms.
func (g *Guard) Protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.HostAllowed(r) {
			misdirected(w)
			return
		}
		if g.BearerOK(r) {
			h.ServeHTTP(w, r)
			return
		}
		s, ok := g.session(r)
		if !ok {
			unauthorized(w, needToken)
			return
		}
		if !safeMethod(r.Method) && !csrfOK(r, s.csrf) {
			http.Error(w, "a change through a browser session needs the session's CSRF token (form field "+CSRFField+")", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s.csrf)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK reports whether r carries want in the CSRF header or form field.
func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// CSRFToken returns the CSRF token of the session that authenticated r,
// for a mounted UI's forms (the csrf_token field); "" when r came with the
// bearer token or through no guard.
func CSRFToken(r *http.Request) string {
	s, _ := r.Context().Value(ctxKey{}).(string)
	return s
}
