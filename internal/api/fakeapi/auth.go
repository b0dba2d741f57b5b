package fakeapi

import (
	"net/http"
	"strings"
)

// scopeFor is the key scope a method needs.
func scopeFor(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return "read"
	case http.MethodDelete:
		return "delete"
	default:
		return "write"
	}
}

// authenticate checks, in the contract's order, the key, the en-workspace
// header, the key's and the caller's access to the workspace, and the
// scope. On success it fills c.key, c.user and (for workspace routes) c.ws.
func (s *Server) authenticate(c *call, r *http.Request) (resp, bool) {
	k := s.keys[r.Header.Get("x-api-key")]
	if k == nil || k.expired(c.now) {
		return unauthorized(), false
	}
	c.key, c.user = k, k.owner
	if c.route.workspace {
		name := strings.TrimSpace(r.Header.Get("en-workspace"))
		if name == "" {
			return missingWorkspace(), false
		}
		w := s.Workspace(name)
		if w == nil || !k.allows(w.slug) || !w.isMember(c.user.id) {
			return forbidden(), false
		}
		c.ws = w
	}
	if scope := scopeFor(r.Method); !k.scopes[scope] {
		return fail(http.StatusForbidden, "Token lacks the "+scope+" scope"), false
	}
	return resp{}, true
}
