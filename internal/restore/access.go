package restore

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// The scopes of an API key that the engine's requests need: a POST, PUT
// or PATCH needs write, a DELETE needs delete, a GET neither.
const (
	scopeWrite  = "write"
	scopeDelete = "delete"
)

// errNotSent is returned by send for a request it did not send because
// the server had refused the key.
var errNotSent = errors.New("not sent: the API key was refused")

var defaultRoutes = sync.OnceValue(api.DefaultRoutes)

// scopeOfMethod returns the scope an HTTP method needs, "" for a read or
// an unknown method.
func scopeOfMethod(method string) string {
	switch strings.ToUpper(method) {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return scopeWrite
	case http.MethodDelete:
		return scopeDelete
	}
	return ""
}

// scopeOfRoute returns the scope a route needs, by its method in the
// contract's route table.
func scopeOfRoute(route string) string {
	if rt, ok := defaultRoutes()[route]; ok {
		return scopeOfMethod(rt.Method)
	}
	switch {
	case strings.HasSuffix(route, ".delete"), strings.HasSuffix(route, ".remove"):
		return scopeDelete
	case strings.HasSuffix(route, ".list"), strings.HasSuffix(route, ".get"), strings.HasSuffix(route, ".count"):
		return ""
	}
	return scopeWrite
}

// keyRefused reports whether err says the server refuses the key itself,
// so that no request of the apply can succeed: a 401, or a 403 whose
// message is the contract's "Token not authorized for this workspace" or
// names a scope the key lacks ("Token lacks the delete scope"). scope is
// the scope the message names, if any. A 403 with another message may
// refuse one object only (a role's rules for a type).
func keyRefused(err error) (status int, scope string, ok bool) {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return 0, "", false
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized:
		return ae.StatusCode, "", true
	case http.StatusForbidden:
		msg := strings.ToLower(strings.Join(ae.Messages, "; ") + " " + ae.Body)
		if strings.Contains(msg, "not authorized for this workspace") {
			return ae.StatusCode, "", true
		}
		if i := strings.Index(msg, "lacks the"); i >= 0 {
			rest := msg[i+len("lacks the"):]
			if j := strings.Index(rest, "scope"); j >= 0 {
				return ae.StatusCode, strings.Trim(strings.TrimSpace(rest[:j]), `"'`), true
			}
		}
	}
	return ae.StatusCode, "", false
}

// send sends one request of step s. Until a request of a scope (write,
// delete) has been answered without a 401 or 403, the requests of that
// scope go out one at a time: a key that lacks it costs one request. A
// refused key stops the apply; the requests after it are not sent
// (errNotSent).
func (e *Engine) send(ctx context.Context, s *Step, route string, params map[string]string, body any) (json.RawMessage, error) {
	scope := scopeOfRoute(route)
	probe := false
	if scope != "" {
		e.mu.Lock()
		refused, proven := e.refused != nil, e.proven[scope]
		gate := e.gates[scope]
		if gate == nil {
			gate = &sync.Mutex{}
			e.gates[scope] = gate
		}
		e.mu.Unlock()
		if refused {
			return nil, errNotSent
		}
		if !proven {
			gate.Lock()
			e.mu.Lock()
			refused, proven = e.refused != nil, e.proven[scope]
			e.mu.Unlock()
			if refused {
				gate.Unlock()
				return nil, errNotSent
			}
			if probe = !proven; probe {
				defer gate.Unlock() // the others wait for its answer
			} else {
				gate.Unlock() // proven while this one waited
			}
		}
	}
	if s != nil {
		s.sent = true
	}
	raw, err := e.Client.Do(ctx, route, e.Workspace, params, body)
	status, named, refused := keyRefused(err)
	if !refused && probe && status == http.StatusForbidden {
		refused = true // the first request of its scope: the key lacks it
	}
	if refused {
		if named == "" && status == http.StatusForbidden {
			named = scope
			var ae *api.Error
			if errors.As(err, &ae) && ae.Method != "" {
				named = scopeOfMethod(ae.Method)
			}
		}
		e.refuse(s, status, named, err)
		return raw, err
	}
	// Any answer but a refusal proves the scope, as the server checks the
	// key before anything else; a transport error, a 429 or a 5xx (a proxy
	// may give them before the server sees the key) proves nothing.
	if code := api.StatusOf(err); scope != "" && (err == nil || code >= 200 && code < 500 && code != http.StatusTooManyRequests) {
		e.mu.Lock()
		e.proven[scope] = true
		e.mu.Unlock()
	}
	return raw, err
}

// refuse records that the server refused the key on a request of step s.
func (e *Engine) refuse(s *Step, status int, scope string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refused == nil {
		ae := &AccessError{Status: status, Scope: scope, Err: err}
		if s != nil {
			ae.Action = s.Action
		}
		e.refused = ae
	}
}

// isProven reports whether a request needing scope was answered without
// a refusal in this apply.
func (e *Engine) isProven(scope string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proven[scope]
}

func (e *Engine) isRefused() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refused != nil
}
