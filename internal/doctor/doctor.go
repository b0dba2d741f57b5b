package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

// The verdicts of a check. NotFound and ForbiddenScope build the verdicts
// that name a route or a scope.
const (
	// VerdictOK says the route answers as the contract says.
	VerdictOK = "ok"
	// VerdictHandled says the answer differs from the contract in a way
	// the client copes with (an envelope, no count route, string ids).
	VerdictHandled = "different shape: handled"
	// VerdictSkipped says the check could not run (no parent object to
	// list children under); it does not fail the run.
	VerdictSkipped = "skipped"
	// VerdictPagingIgnored says the server answers the same rows whatever
	// page or limit asks: a backup of a larger collection stops with a
	// repeated page.
	VerdictPagingIgnored = "paging ignored"
	// VerdictUnauthorized says the server refused the key (401).
	VerdictUnauthorized = "unauthorized: key refused"
	// VerdictNoWorkspace says the key may not act in the workspace (403).
	VerdictNoWorkspace = "forbidden: no access to the workspace"
	// VerdictUnreachable says no HTTP answer came (DNS, connection, TLS).
	VerdictUnreachable = "unreachable"
	// VerdictError covers any other failure (5xx, an unreadable body).
	VerdictError = "error"
)

// NotFound returns the verdict of a route that answers 404.
func NotFound(route string) string { return "not found: override with routes." + route }

// ForbiddenScope returns the verdict of a route refused for want of a scope.
func ForbiddenScope(scope string) string { return "forbidden: needs scope " + scope }

// Check is the outcome of one check.
type Check struct {
	Workspace   string `json:"workspace"`
	Environment string `json:"environment"`
	// Route is a route name of the table ("types.list"), or the name of a
	// check that is not one route: "config", "routes.NAME" (an override in
	// effect), "reachability", "auth", "key", "page_size" (the largest page
	// the server honours).
	Route   string `json:"route"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
	// OK is true for the verdicts ok, handled and skipped.
	OK bool `json:"ok"`
	// Override is the path to set as routes.<Route> in the environment,
	// when a route must be overridden and a path that works was found.
	Override string `json:"override,omitempty"`
}

// Override is a route override the configuration needs.
type Override struct {
	Environment string
	Route       string
	// Path is the path found to answer, "" when none of the paths tried
	// did (the user must find it).
	Path string
	// Default is the path that answered 404.
	Default string
}

// Report is the outcome of a Run.
type Report struct {
	Checks    []Check
	Overrides []Override
}

// Failed returns the number of checks that failed.
func (r *Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.OK {
			n++
		}
	}
	return n
}

// Options configures a Run.
type Options struct {
	// Workspaces are the workspaces to check, from a loaded configuration
	// (key files read).
	Workspaces []*config.Workspace
	// UserAgent is sent with every request; "" means "enspace-sync".
	UserAgent string
	// HTTPClient sends the requests; nil means a client of its own.
	HTTPClient *http.Client
	// Sleep waits before a retry; nil means a timer. Tests inject one that
	// does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives the client's debug lines; nil discards.
	Logger *slog.Logger
}

// checkLimit is the page size of the checks: two pages of it must differ.
const checkLimit = 2

// Run checks every workspace of opts and returns the report. It sends GET
// requests only. The error is non-nil only when ctx ends.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	rep := &Report{}
	for _, ws := range opts.Workspaces {
		r := newRunner(opts, ws)
		r.run(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("doctor: %w", err)
		}
		rep.Checks = append(rep.Checks, r.checks...)
		rep.Overrides = append(rep.Overrides, r.overrides...)
	}
	rep.Overrides = dedupe(rep.Overrides)
	return rep, nil
}

// dedupe keeps one override per environment and route, sorted.
func dedupe(list []Override) []Override {
	seen := map[string]bool{}
	var out []Override
	for _, o := range list {
		k := o.Environment + "\x00" + o.Route
		if !seen[k] {
			seen[k] = true
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Environment != out[j].Environment {
			return out[i].Environment < out[j].Environment
		}
		return out[i].Route < out[j].Route
	})
	return out
}

// passed reports whether a verdict lets the run succeed.
func passed(verdict string) bool {
	return verdict == VerdictOK || verdict == VerdictHandled || verdict == VerdictSkipped
}
