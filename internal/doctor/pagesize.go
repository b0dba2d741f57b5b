package doctor

import (
	"context"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// checkPageSize finds the largest page the server honours: it asks for the
// first page of the configured page_size from counted collections until
// one has more objects than that page, and reports a server that answers
// fewer than asked while its count says more exist, with the page_size to
// set. The check's route is "page_size".
func (r *runner) checkPageSize(ctx context.Context) {
	size := r.env.PageSize
	if size < 1 || size > api.MaxPageSize {
		size = api.MaxPageSize
	}
	for _, k := range kind.All() {
		if k.Singleton || k.Count == "" || k.List == "" || ctx.Err() != nil {
			continue
		}
		all, why := r.parentParams(k)
		if why != "" {
			continue
		}
		for _, params := range all {
			n, counted, err := r.c.Count(ctx, k, r.ws.Slug, params)
			if err != nil || !counted || n <= size {
				continue
			}
			body, err := r.c.Page(ctx, k.List, r.ws.Slug, params, 1, size)
			if err != nil {
				continue
			}
			page, err := decodePage(body)
			if err != nil {
				continue
			}
			where := r.where(k.List, params)
			got := len(page.objs)
			switch {
			case got >= size:
				r.add("page_size", VerdictOK, fmt.Sprintf("pages of %d honoured (%s: %d of %d)", size, where, got, n))
			case got == 0:
				r.add("page_size", VerdictError, fmt.Sprintf("%s: page 1 of %d is empty while the count says %d", where, size, n))
			default:
				r.add("page_size", VerdictHandled, fmt.Sprintf(
					"the server returns at most %d per page: set page_size: %d for environment %s (%s: asked for %d, got %d of %d; backups go on with pages of %d)",
					got, got, r.ws.Environment, where, size, got, n, got))
			}
			return
		}
	}
	r.add("page_size", VerdictSkipped, fmt.Sprintf("no counted collection holds more than a page of %d to test with", size))
}

// where names a route's request with its parameters filled in.
func (r *runner) where(route string, params map[string]string) string {
	rt := r.routes[route]
	if path, err := rt.Build(params); err == nil {
		return rt.Method + " " + path
	}
	return rt.Method + " " + rt.Path
}
