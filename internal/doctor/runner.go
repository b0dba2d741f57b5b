package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// runner checks one workspace.
type runner struct {
	opts     Options
	ws       *config.Workspace
	env      *config.Environment
	routes   api.Routes // the environment's table, overrides applied
	defaults api.Routes
	c        *api.Client

	checks    []Check
	overrides []Override
	// seen holds the objects the checks listed, by kind, for the children's
	// parents.
	seen map[string][]map[string]json.RawMessage
}

func newRunner(opts Options, ws *config.Workspace) *runner {
	r := &runner{opts: opts, ws: ws, env: ws.Env(), defaults: api.DefaultRoutes(),
		seen: map[string][]map[string]json.RawMessage{}}
	if r.env != nil {
		r.routes = r.env.Routes()
	}
	return r
}

// add records a check.
func (r *runner) add(route, verdict, detail string) *Check {
	r.checks = append(r.checks, Check{Workspace: r.ws.Name, Environment: r.ws.Environment,
		Route: route, Verdict: verdict, Detail: detail, OK: passed(verdict)})
	return &r.checks[len(r.checks)-1]
}

// client builds a client of the environment with routes as its table.
// Retries are few and short: a doctor reports, it does not insist.
func (r *runner) client(routes api.Routes) (*api.Client, error) {
	return api.New(api.Options{
		BaseURL:           r.env.BaseURL,
		APIKey:            r.env.Key(),
		Routes:            routes,
		Concurrency:       1,
		RequestsPerSecond: r.env.RequestsPerSecond,
		Timeout:           r.env.Timeout,
		MaxAttempts:       2,
		BackoffBase:       100 * time.Millisecond,
		BackoffMax:        time.Second,
		MaxRetryAfter:     10 * time.Second,
		HTTPClient:        r.opts.HTTPClient,
		Logger:            r.opts.Logger.With("environment", r.ws.Environment),
		UserAgent:         r.opts.UserAgent,
		Sleep:             r.opts.Sleep,
	})
}

// run does every check of the workspace, stopping early when the server
// cannot be reached or refuses the key or the workspace.
func (r *runner) run(ctx context.Context) {
	if !r.checkConfig() {
		return
	}
	if !r.checkAccess(ctx) {
		return
	}
	for _, k := range kind.All() {
		if ctx.Err() != nil {
			return
		}
		switch {
		case k.Singleton:
			if !r.checkGet(ctx, k) {
				return
			}
		case k.Name == kind.APIKeys:
			// listed by checkAccess
		default:
			r.checkKind(ctx, k)
		}
	}
	r.checkPageSize(ctx)
}

// checkConfig reports how the workspace resolves and which overrides are in
// effect. The configuration was validated on load.
func (r *runner) checkConfig() bool {
	if r.env == nil {
		r.add("config", VerdictError, fmt.Sprintf("workspace %s: environment %q not found", r.ws.Name, r.ws.Environment))
		return false
	}
	key := "api_key (in the config or from ${VAR})"
	if r.env.APIKeyFile != "" {
		key = fmt.Sprintf("api_key_file %s (readable by its owner only)", r.env.KeyFileName())
	}
	overrides := "no route overrides"
	if n := len(r.env.RouteOverrides); n > 0 {
		overrides = fmt.Sprintf("%d route override(s)", n)
	}
	r.add("config", VerdictOK, fmt.Sprintf("workspace %s: environment %s (%s), slug %s; key from %s; %s",
		r.ws.Name, r.ws.Environment, r.env.BaseURL, r.ws.Slug, key, overrides))
	for _, name := range r.routes.Names() {
		have, def := r.routes[name], r.defaults[name]
		if have.Method != def.Method || have.Path != def.Path {
			r.add("routes."+name, VerdictOK, fmt.Sprintf("override in effect: %s %s (default %s %s)",
				have.Method, have.Path, def.Method, def.Path))
		}
	}
	c, err := r.client(r.routes)
	if err != nil {
		r.add("config", VerdictError, fmt.Sprintf("environment %s: %v", r.ws.Environment, err))
		return false
	}
	r.c = c
	return true
}

// checkAccess lists the key's own API keys: the first request tells
// whether the server answers and accepts the key; then the key's scopes.
func (r *runner) checkAccess(ctx context.Context) bool {
	k := kind.Of(kind.APIKeys)
	off := r.routes[k.List].Off()
	var p listProbe
	if off {
		// The key's API keys are not read: the workspace's context tells
		// whether the server answers and accepts the key.
		_, p.err = r.c.Do(ctx, kind.Of(kind.Workspace).Get, r.ws.Slug, nil, nil)
	} else {
		p = r.probeList(ctx, r.c, r.routes, k, k.List, nil)
	}
	status := api.StatusOf(p.err)
	if p.err != nil && status == 0 && !errors.Is(p.err, api.ErrInvalidBody) {
		r.add("reachability", VerdictUnreachable, fmt.Sprintf("%s: %v", r.env.BaseURL, p.err))
		return false
	}
	if status == 0 {
		status = 200
	}
	r.add("reachability", VerdictOK, fmt.Sprintf("%s answers (HTTP %d); %s", r.env.BaseURL, status, tlsNote(r.env.BaseURL)))
	// Who answered what: the key is said to be accepted only when a
	// probe accepted it.
	probed, answer := r.routes[k.List].Method+" "+r.routes[k.List].Path, p.err
	if off {
		probed = r.routes[kind.Of(kind.Workspace).Get].Method + " " + r.routes[kind.Of(kind.Workspace).Get].Path
	}
	accepted := keyAccepted(p.err) || p.shape != "" // page 1 answered, a later page failed
	if !off && notTheAPI(p.err) {
		// A 404 or a web page says nothing of the key. The workspace's
		// context, another route, tells a moved route from a base URL
		// that is not the API's (a path too many or missing, the web
		// application's address), for which route overrides are no fix;
		// when it answers 404 too, a third route, the types list, tells
		// two moved routes from a wrong base URL.
		ctxRoute := kind.Of(kind.Workspace).Get
		_, err := r.c.Do(ctx, ctxRoute, r.ws.Slug, nil, nil)
		probed = r.routes[ctxRoute].Method + " " + r.routes[ctxRoute].Path
		if notTheAPI(err) {
			typesRoute := kind.Of(kind.Types).List
			_, err = r.c.Page(ctx, typesRoute, r.ws.Slug, nil, 1, 1)
			if notTheAPI(err) {
				r.add("base_url", VerdictError, fmt.Sprintf("%s answers 404 or an HTML web page on %s, %s and %s: the base URL of environment %s is probably wrong (a path too many or missing, or the web application's address): fix base_url, route overrides will not help",
					r.env.BaseURL, r.routes[k.List].Path, r.routes[ctxRoute].Path, r.routes[typesRoute].Path, r.ws.Environment))
				return false
			}
			probed = r.routes[typesRoute].Method + " " + r.routes[typesRoute].Path
		}
		if s := api.StatusOf(err); s == 401 {
			status, p.err = s, err
		}
		answer, accepted = err, keyAccepted(err)
	}
	if status == 401 {
		r.add("auth", VerdictUnauthorized, fmt.Sprintf("401: %v", p.err))
		return false
	}
	if accepted {
		r.add("auth", VerdictOK, "the key is accepted")
	} else {
		r.add("auth", VerdictError, fmt.Sprintf("could not be established: no route accepted or refused the key; %s: %v", probed, answer))
	}
	if off {
		r.add(k.List, VerdictHandled, "switched off in the config: the kind is not read (backups leave it out, as if excluded)")
		return true
	}
	if status == 404 {
		r.guess(ctx, k, nil, &p)
	}
	r.record(k, k.List, p)
	if p.err == nil {
		r.checkKey(ctx)
	}
	return true
}

// keyAccepted reports whether a probe's answer shows the key accepted:
// a success (a 2xx, even one whose body is not the API's JSON, unless it
// is a web page), or 403 (the key is known, the workspace or a scope is
// refused). A 404, a 400, a 5xx or no answer says nothing of the key.
func keyAccepted(err error) bool {
	if err == nil || api.StatusOf(err) == 403 {
		return true
	}
	return errors.Is(err, api.ErrInvalidBody) && !errors.Is(err, api.ErrHTMLPage) && api.StatusOf(err) == 0
}

// notTheAPI reports whether err is an answer that no API route gives: 404,
// or a web page.
func notTheAPI(err error) bool {
	return api.StatusOf(err) == 404 || errors.Is(err, api.ErrHTMLPage)
}

// tlsNote says what the scheme means for the connection.
func tlsNote(base string) string {
	u, err := url.Parse(base)
	if err == nil && u.Scheme == "https" {
		return "TLS handshake and certificate ok"
	}
	return "plain http, no TLS"
}

// classify turns a request's failure into a verdict and a detail.
func classify(route string, err error) (string, string) {
	var ae *api.Error
	if errors.As(err, &ae) {
		msg := ae.Message()
		switch ae.StatusCode {
		case 401:
			return VerdictUnauthorized, err.Error()
		case 403:
			if strings.Contains(strings.ToLower(msg), "workspace") {
				return VerdictNoWorkspace, err.Error()
			}
			scope := "read"
			for _, s := range []string{"write", "delete"} {
				if strings.Contains(strings.ToLower(msg), s) {
					scope = s
				}
			}
			return ForbiddenScope(scope), err.Error()
		case 404:
			return NotFound(route), err.Error()
		}
		return VerdictError, err.Error()
	}
	if errors.Is(err, api.ErrInvalidBody) {
		return VerdictError, err.Error()
	}
	return VerdictUnreachable, err.Error()
}

// checkGet checks a singleton kind's get route. It returns false when the
// workspace is refused: every other route would be refused too.
func (r *runner) checkGet(ctx context.Context, k *kind.Kind) bool {
	rt := r.routes[k.Get]
	where := rt.Method + " " + rt.Path
	body, err := r.c.Do(ctx, k.Get, r.ws.Slug, nil, nil)
	if err != nil {
		verdict, detail := classify(k.Get, err)
		c := r.add(k.Get, verdict, detail)
		if strings.HasPrefix(verdict, "not found") {
			r.overrides = append(r.overrides, Override{Environment: r.ws.Environment, Route: k.Get, Default: rt.Path})
		}
		if verdict == VerdictNoWorkspace {
			c.Detail = fmt.Sprintf("workspace %q: check the slug, or that the key has access to it: %s", r.ws.Slug, detail)
			return false
		}
		return verdict != VerdictUnauthorized
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		r.add(k.Get, VerdictError, fmt.Sprintf("%s: expected a JSON object: %v", where, err))
		return true
	}
	detail := where + ": an object" + r.overrideNote(k.Get)
	if u := unknownFields(k.Name, []map[string]json.RawMessage{obj}); len(u) > 0 {
		detail += "; unknown fields: " + strings.Join(u, ", ")
	}
	r.add(k.Get, VerdictOK, detail)
	return true
}

// overrideNote marks a detail whose route is overridden in the config.
func (r *runner) overrideNote(route string) string {
	if r.routes[route] != r.defaults[route] {
		return " (override in effect)"
	}
	return ""
}
