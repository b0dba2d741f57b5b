package listenauth

import (
	"net/http"
	"net/url"
	"time"
)

// LoginURL returns a new one-time login path ("/login?t=SECRET") and when
// it expires. Serve it behind Token: whoever holds the token may log a
// browser in.
func (g *Guard) LoginURL() (string, time.Time) {
	now := g.o.Now()
	t := NewSecret()
	expires := now.Add(g.o.LoginTTL)
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, exp := range g.logins {
		if !now.Before(exp) {
			delete(g.logins, k)
		}
	}
	if len(g.logins) >= maxLogins {
		for k := range g.logins { // drop one: unused logins are cheap to ask again
			delete(g.logins, k)
			break
		}
	}
	g.logins[t] = expires
	return "/login?" + url.Values{"t": {t}}.Encode(), expires
}

// HandleLogin serves GET /login?t=SECRET: a valid one-time login is spent
// and swapped for a session cookie, then the browser is sent to /; any
// other answers 401. Serve it behind Open.
func (g *Guard) HandleLogin(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("t")
	now := g.o.Now()
	g.mu.Lock()
	exp, ok := g.logins[t]
	delete(g.logins, t)
	if ok && now.Before(exp) {
		for id, s := range g.sessions {
			if !now.Before(s.expires) {
				delete(g.sessions, id)
			}
		}
		if len(g.sessions) >= maxSessions {
			g.dropOldestSession()
		}
	}
	g.mu.Unlock()
	if t == "" || !ok || !now.Before(exp) {
		unauthorized(w, "this login URL is unknown, used or expired; ask for another with enspace-sync login-url")
		return
	}
	id := NewSecret()
	s := session{csrf: NewSecret(), expires: now.Add(g.o.SessionTTL)}
	g.mu.Lock()
	g.sessions[id] = s
	g.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", Expires: s.expires,
		MaxAge: int(g.o.SessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// dropOldestSession forgets the session that ends first. The caller holds
// g.mu.
func (g *Guard) dropOldestSession() {
	var oldest string
	var at time.Time
	for id, s := range g.sessions {
		if oldest == "" || s.expires.Before(at) {
			oldest, at = id, s.expires
		}
	}
	delete(g.sessions, oldest)
}

// session returns the live session of r's cookie.
func (g *Guard) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	now := g.o.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.sessions[c.Value]
	if ok && !now.Before(s.expires) {
		delete(g.sessions, c.Value)
		return session{}, false
	}
	return s, ok
}
