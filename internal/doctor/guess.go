package doctor

import (
	"context"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// guess tries a few likely paths for a list route that answered 404 and
// keeps the first that answers a list.
func (r *runner) guess(ctx context.Context, k *kind.Kind, params map[string]string, p *listProbe) {
	for _, cand := range candidates(r.routes[k.List].Path) {
		routes, err := r.routes.WithOverrides(map[string]string{k.List: cand})
		if err != nil {
			continue
		}
		c, err := r.client(routes)
		if err != nil {
			return
		}
		q := r.probeList(ctx, c, routes, k, k.List, params)
		if q.err == nil {
			p.found, p.foundProbe, p.objs = cand, &q, q.objs
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// candidates returns the paths a server might serve a list under instead
// of path: the Enspace API mixes "/ws/x", "/c-x" and "/workspace-x"
// prefixes, and a deployment may sit under /api or /v1. Placeholders and
// the query are kept.
func candidates(path string) []string {
	p, query, hasQuery := strings.Cut(path, "?")
	var out []string
	add := func(s string) {
		if s != p && s != "/" {
			for _, o := range out {
				if o == s {
					return
				}
			}
			out = append(out, s)
		}
	}
	switch {
	case strings.HasPrefix(p, "/ws/"):
		rest := strings.TrimPrefix(p, "/ws/")
		add("/" + rest)
		add("/c-" + rest)
		add("/workspace-" + rest)
	case strings.HasPrefix(p, "/c-"):
		rest := strings.TrimPrefix(p, "/c-")
		add("/" + rest)
		add("/ws/" + rest)
	default:
		add("/ws" + p)
		add("/c-" + strings.TrimPrefix(p, "/"))
	}
	add("/api" + p)
	add("/v1" + p)
	if hasQuery {
		for i := range out {
			out[i] += "?" + query
		}
	}
	return out
}
