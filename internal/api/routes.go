package api

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Route is one endpoint of the Enspace API: an HTTP method and a path
// template. Placeholders in braces ({type}, {id}, {flow}, {stage}, {role},
// {permission}) are filled from parameters and escaped. A template may carry
// a query string ("/c-flows?type={type}"); paging parameters are added to it.
type Route struct {
	Method string
	Path   string
	// Workspace reports whether the request acts inside a workspace and so
	// carries the en-workspace header.
	Workspace bool
	// Documented is true when the route was seen on a documentation page;
	// false when enspace-api.md had to assume it.
	Documented bool
}

// Off reports whether the route was switched off in the config (an empty
// path): only count routes can be.
func (rt Route) Off() bool { return rt.Path == "" }

// Routes maps a route name ("types.list", "items.count", ...) to its Route.
// It is the one place that knows Enspace paths; DefaultRoutes returns the
// contract's table and WithOverrides applies a user's corrections.
type Routes map[string]Route

// DefaultRoutes returns a fresh copy of the route table from the contract.
func DefaultRoutes() Routes {
	ws := func(method, path string, doc bool) Route {
		return Route{Method: method, Path: path, Workspace: true, Documented: doc}
	}
	user := func(method, path string, doc bool) Route {
		return Route{Method: method, Path: path, Documented: doc}
	}
	return Routes{
		"workspaces.list":            user("GET", "/workspaces", false),
		"workspaces.create":          user("POST", "/workspaces", false),
		"workspace.context":          ws("GET", "/workspaces/context", false),
		"workspace.stats":            ws("GET", "/workspaces/stats", false),
		"workspace.deletion-preview": ws("GET", "/workspaces/deletion-preview", false),
		"workspace.leave":            ws("POST", "/workspaces/leave", false),
		"workspace.delete":           ws("DELETE", "/workspaces", false),
		"types.list":                 ws("GET", "/ws/types", false),
		"types.count":                ws("GET", "/ws/types/count", false),
		"types.get":                  ws("GET", "/ws/types/{type}", false),
		"types.create":               ws("POST", "/ws/types", false),
		"types.update":               ws("PUT", "/ws/types/{type}", false),
		"types.delete":               ws("DELETE", "/ws/types/{type}", false),
		"fields.list":                ws("GET", "/ws/types/{type}/fields", false),
		"fields.get":                 ws("GET", "/ws/types/{type}/fields/{id}", false),
		"fields.create":              ws("POST", "/ws/types/{type}/fields", true),
		"fields.update":              ws("PUT", "/ws/types/{type}/fields/{id}", true),
		"fields.delete":              ws("DELETE", "/ws/types/{type}/fields/{id}", false),
		"items.list":                 ws("GET", "/ws/types/{type}/items", false),
		"items.count":                ws("GET", "/ws/types/{type}/items/count", false),
		"items.get":                  ws("GET", "/ws/types/{type}/items/{id}", false),
		"items.create":               ws("POST", "/ws/types/{type}/items", true),
		"items.update":               ws("PUT", "/ws/types/{type}/items/{id}", false),
		"items.delete":               ws("DELETE", "/ws/types/{type}/items/{id}", false),
		"flows.list":                 ws("GET", "/c-flows?type={type}", false),
		"flows.get":                  ws("GET", "/c-flows/{id}", false),
		"stages.list":                ws("GET", "/c-flow-stages?flow={flow}", false),
		"stages.get":                 ws("GET", "/c-flow-stages/{id}", true),
		"tasks.list":                 ws("GET", "/c-flow-tasks?stage={stage}", false),
		"tasks.get":                  ws("GET", "/c-flow-tasks/{id}", false),
		"tasks.create":               ws("POST", "/c-flow-tasks", false),
		"forms.list":                 ws("GET", "/c-forms?type={type}", false),
		"forms.get":                  ws("GET", "/c-forms/{id}", false),
		"forms.create-list":          ws("GET", "/c-forms/create?type={type}", false),
		"schedule-tasks.list":        ws("GET", "/c-schedule-tasks", false),
		"schedule-tasks.get":         ws("GET", "/c-schedule-tasks/{id}", false),
		"members.list":               ws("GET", "/ws/members", false),
		"members.count":              ws("GET", "/ws/members/count", false),
		"members.get":                ws("GET", "/ws/members/{id}", false),
		"members.create":             ws("POST", "/ws/members", true),
		"members.update":             ws("PUT", "/ws/members/{id}", true),
		"members.delete":             ws("DELETE", "/ws/members/{id}", false),
		"roles.list":                 ws("GET", "/ws/roles", false),
		"roles.count":                ws("GET", "/ws/roles/count", false),
		"roles.get":                  ws("GET", "/ws/roles/{id}", false),
		"roles.create":               ws("POST", "/ws/roles", false),
		"roles.update":               ws("PUT", "/ws/roles/{id}", false),
		"roles.delete":               ws("DELETE", "/ws/roles/{id}", false),
		"roles.permissions.list":     ws("GET", "/ws/roles/{id}/permissions", false),
		"roles.permissions.add":      ws("POST", "/ws/roles/{id}/permissions", false),
		"roles.permissions.remove":   ws("DELETE", "/ws/roles/{id}/permissions/{permission}", false),
		"groups.list":                ws("GET", "/ws/member-groups", false),
		"groups.get":                 ws("GET", "/ws/member-groups/{id}", false),
		"groups.create":              ws("POST", "/ws/member-groups", false),
		"groups.update":              ws("PUT", "/ws/member-groups/{id}", false),
		"groups.delete":              ws("DELETE", "/ws/member-groups/{id}", false),
		"groups.users.add":           ws("POST", "/ws/member-groups/{id}/users", false),
		"groups.users.remove":        ws("DELETE", "/ws/member-groups/{id}/users", false),
		"quick-tasks.list":           ws("GET", "/ws/quick-tasks", false),
		"quick-tasks.count":          ws("GET", "/ws/quick-tasks/count", false),
		"quick-tasks.get":            ws("GET", "/ws/quick-tasks/{id}", false),
		"quick-tasks.create":         ws("POST", "/ws/quick-tasks", false),
		"quick-tasks.update":         ws("PUT", "/ws/quick-tasks/{id}", false),
		"quick-tasks.delete":         ws("DELETE", "/ws/quick-tasks/{id}", false),
		"integrations.list":          ws("GET", "/workspace-integrations", false),
		"integrations.get":           ws("GET", "/workspace-integrations/{id}", false),
		"integrations.create":        ws("POST", "/workspace-integrations", true),
		"api-keys.list":              user("GET", "/user-api-keys", true),
		"request-logs.list":          user("GET", "/user-request-logs", false),
	}
}

// Names returns the route names in sorted order.
func (r Routes) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WithOverrides returns a copy of r in which each named route's path is
// replaced. An override value is a path ("/api/v2/types") or a method and a
// path ("PATCH /ws/types/{type}"); for a count route ("items.count") it may
// also be "none" or empty, which switches the route off (Route.Off): the
// kind is listed without a count. The list and get routes of a kind the API
// cannot write (IsUnwritableReadRoute: "schedule-tasks.list") may be
// switched off too: the kind is then not read (List and Get fail with
// ErrRouteOff, and a backup leaves the kind out as if excluded). An
// unknown route name, a path that does not start with "/", a placeholder
// the original route does not have, or switching off any other route is an
// error naming the route.
func (r Routes) WithOverrides(overrides map[string]string) (Routes, error) {
	out := make(Routes, len(r))
	for n, rt := range r {
		out[n] = rt
	}
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		value := strings.TrimSpace(overrides[name])
		rt, ok := out[name]
		if !ok {
			return nil, fmt.Errorf("routes.%s: unknown route name (known: %s)", name, strings.Join(r.Names(), ", "))
		}
		if value == "" || strings.EqualFold(value, "none") {
			if !isCountRoute(name) && !IsUnwritableReadRoute(name) {
				return nil, fmt.Errorf("routes.%s: only a count route, or the list or get route of a kind the API cannot write (%s), can be switched off (with \"none\")",
					name, strings.Join(unwritableKinds(), ", "))
			}
			rt.Path = ""
			out[name] = rt
			continue
		}
		method, path := rt.Method, value
		if i := strings.IndexByte(value, ' '); i > 0 {
			method, path = strings.ToUpper(value[:i]), strings.TrimSpace(value[i+1:])
			switch method {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
			default:
				return nil, fmt.Errorf("routes.%s: unknown method %q", name, method)
			}
		}
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("routes.%s: path %q must start with /", name, path)
		}
		if _, err := url.Parse(path); err != nil {
			return nil, fmt.Errorf("routes.%s: %w", name, err)
		}
		have := placeholders(rt.Path)
		for _, p := range placeholders(path) {
			if !contains(have, p) {
				return nil, fmt.Errorf("routes.%s: placeholder {%s} is not known for this route (it has %v)", name, p, have)
			}
		}
		rt.Method, rt.Path = method, path
		out[name] = rt
	}
	return out, nil
}

// Build fills a route's placeholders from params and returns the path with
// its query string. A placeholder without a value is an error.
func (rt Route) Build(params map[string]string) (string, error) {
	var b strings.Builder
	s := rt.Path
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("route %s %s: unclosed placeholder", rt.Method, rt.Path)
		}
		name := s[i+1 : i+j]
		v, ok := params[name]
		if !ok || v == "" {
			return "", fmt.Errorf("route %s %s: no value for {%s}", rt.Method, rt.Path, name)
		}
		b.WriteString(s[:i])
		if strings.Contains(s[:i], "?") || strings.Contains(b.String(), "?") {
			b.WriteString(url.QueryEscape(v))
		} else {
			b.WriteString(url.PathEscape(v))
		}
		s = s[i+j+1:]
	}
	return b.String(), nil
}

func placeholders(path string) []string {
	var out []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, path[i+1:i+j])
		path = path[i+j+1:]
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isCountRoute reports whether some kind of the kind table counts its
// objects with the named route.
// IsUnwritableReadRoute reports whether name is the list or get route of
// a kind the API cannot write and nothing the API can write lives under
// (forms, schedule tasks, stats, API keys, request logs): switched off,
// the kind is not read. Such a kind is never created or updated by a
// restore, so not reading it cannot make a plan create what exists.
func IsUnwritableReadRoute(name string) bool {
	return slices.ContainsFunc(kind.All(), func(k *kind.Kind) bool {
		return k.ReadOnlyLeaf() && (k.List == name || k.Get == name)
	})
}

// unwritableKinds names the kinds whose read routes can be switched off.
func unwritableKinds() []string {
	var out []string
	for _, k := range kind.All() {
		if k.ReadOnlyLeaf() {
			out = append(out, k.Name)
		}
	}
	return out
}

func isCountRoute(name string) bool {
	return slices.ContainsFunc(kind.All(), func(k *kind.Kind) bool { return k.Count == name })
}
