package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// The guard of `enspace-sync ui` until the listener's own authentication
// serves the dashboard: a random secret path prefix, so that another user
// of the machine, who can reach the loopback port but not read this
// process's output, cannot read the dashboard. It lives alone in this file
// to be replaced whole.

// uiSecret returns a random path segment of 128 bits.
func uiSecret() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// uiGuard serves h under /SECRET/ with the prefix removed (h writes its
// links with the base "/SECRET"); /SECRET redirects there, and every other
// path is a bare 404 that says nothing of the secret.
func uiGuard(secret string, h http.Handler) http.Handler {
	prefix := "/" + secret
	inner := http.StripPrefix(prefix, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if subtle.ConstantTimeCompare([]byte(first), []byte(secret)) != 1 {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == prefix {
			http.Redirect(w, r, prefix+"/", http.StatusMovedPermanently)
			return
		}
		inner.ServeHTTP(w, r)
	})
}
