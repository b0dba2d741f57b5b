package fakeapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// segment is one part of a path template: a literal or a {placeholder}.
type segment struct {
	lit   string
	param string // placeholder name when not a literal
}

// queryPart is one key of a template's query string: a placeholder filled
// from the query or a literal value that must match.
type queryPart struct {
	key   string
	param string
	lit   string
}

// entry is a route ready to match requests.
type entry struct {
	name      string
	method    string
	workspace bool
	segs      []segment
	query     []queryPart
}

// router matches requests against the route table. Literal segments win
// over placeholders, so /ws/types/count is the count and not a type called
// "count".
type router struct {
	entries []*entry
}

func newRouter(routes api.Routes, extra map[string]handler) (*router, error) {
	rt := &router{}
	for _, name := range routes.Names() {
		if handlers[name] == nil && extra[name] == nil {
			return nil, fmt.Errorf("route %q: the fake server has no handler for it", name)
		}
		r := routes[name]
		if r.Off() {
			continue // switched off: not served, like a server without it
		}
		if !r.Workspace && !userRoutes[name] {
			return nil, fmt.Errorf("route %q: acts inside a workspace, so it must be marked Workspace", name)
		}
		e, err := compile(name, r)
		if err != nil {
			return nil, err
		}
		rt.entries = append(rt.entries, e)
	}
	sort.SliceStable(rt.entries, func(i, j int) bool { return moreSpecific(rt.entries[i], rt.entries[j]) })
	return rt, nil
}

// userRoutes are the routes that act outside any workspace.
var userRoutes = map[string]bool{
	"workspaces.list": true, "workspaces.create": true, "api-keys.list": true, "request-logs.list": true,
}

func compile(name string, r api.Route) (*entry, error) {
	path, query, _ := strings.Cut(r.Path, "?")
	e := &entry{name: name, method: strings.ToUpper(r.Method), workspace: r.Workspace}
	for _, s := range splitPath(path) {
		if p, ok := placeholder(s); ok {
			e.segs = append(e.segs, segment{param: p})
		} else {
			e.segs = append(e.segs, segment{lit: s})
		}
	}
	if query != "" {
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "" {
				continue
			}
			if p, ok := placeholder(v); ok {
				e.query = append(e.query, queryPart{key: k, param: p})
			} else {
				e.query = append(e.query, queryPart{key: k, lit: v})
			}
		}
	}
	if e.method == "" {
		return nil, fmt.Errorf("route %q: no method", name)
	}
	return e, nil
}

func placeholder(s string) (string, bool) {
	if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
		return s[1 : len(s)-1], true
	}
	return "", false
}

// splitPath splits "/a/b/" into ["a", "b"]: one trailing slash is ignored,
// as Express does by default.
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// moreSpecific orders entries: at the first segment where they differ, a
// literal beats a placeholder; then more query parts first.
func moreSpecific(a, b *entry) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		al, bl := a.segs[i].param == "", b.segs[i].param == ""
		if al != bl {
			return al
		}
	}
	return len(a.query) > len(b.query)
}

// match finds the route for a request. A route whose query placeholder is
// missing from the request still matches (its handler reports the missing
// parameter) unless another route matches fully.
func (rt *router) match(method, escapedPath string, q url.Values) (*entry, map[string]string) {
	parts := splitPath(escapedPath)
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, nil
		}
		parts[i] = u
	}
	for _, strict := range []bool{true, false} {
		// The most specific of the matching entries wins. The sort in
		// newRouter is not a total order across paths of other shapes, so
		// the choice is made among the candidates, which all have the
		// request's number of segments.
		var best *entry
		var bestParams map[string]string
		for _, e := range rt.entries {
			if e.method != method || len(e.segs) != len(parts) {
				continue
			}
			if params, ok := e.bind(parts, q, strict); ok && (best == nil || moreSpecific(e, best)) {
				best, bestParams = e, params
			}
		}
		if best != nil {
			return best, bestParams
		}
	}
	return nil, nil
}

func (e *entry) bind(parts []string, q url.Values, strict bool) (map[string]string, bool) {
	params := map[string]string{}
	for i, s := range e.segs {
		if s.param == "" {
			if s.lit != parts[i] {
				return nil, false
			}
			continue
		}
		if parts[i] == "" {
			return nil, false
		}
		params[s.param] = parts[i]
	}
	for _, qp := range e.query {
		v := q.Get(qp.key)
		if qp.param == "" {
			if v != qp.lit {
				return nil, false
			}
			continue
		}
		if v == "" && strict {
			return nil, false
		}
		params[qp.param] = v
	}
	return params, true
}
