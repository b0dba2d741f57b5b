package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// listProbe is what two small pages of a list route showed.
type listProbe struct {
	where     string // "GET /ws/types"
	err       error
	shape     string // "bare array", "envelope {"data": [...]} with total"
	envelope  bool
	paging    string
	pagingBad bool
	objs      []map[string]json.RawMessage
	// found is the path that answered a list when the route's own path
	// answered 404, with what it showed.
	found      string
	foundProbe *listProbe
}

// probeList fetches page 1 and, when it is full, page 2 of a list route
// with pages of checkLimit objects.
func (r *runner) probeList(ctx context.Context, c *api.Client, routes api.Routes, k *kind.Kind, route string, params map[string]string) listProbe {
	rt := routes[route]
	p := listProbe{where: rt.Method + " " + rt.Path}
	if path, err := rt.Build(params); err == nil {
		p.where = rt.Method + " " + path
	}
	items, err := r.page(ctx, c, route, params, 1)
	if err != nil {
		p.err = err
		return p
	}
	p.shape, p.envelope = items.shape, items.envelope
	p.objs = items.objs
	switch n := len(items.objs); {
	case n > checkLimit:
		p.paging, p.pagingBad = fmt.Sprintf("limit ignored: asked for %d, got %d", checkLimit, n), true
	case n == checkLimit:
		next, err := r.page(ctx, c, route, params, 2)
		if err != nil {
			p.err = fmt.Errorf("page 2: %w", err)
			return p
		}
		if len(next.objs) > 0 && sameRows(items.objs, next.objs) && r.pagesDiffer(ctx, c, route, params) {
			p.paging = "paging honoured (a page past the last repeats the last page, which ends a listing when a count confirms it, partial without one)"
		} else if len(next.objs) > 0 && sameRows(items.objs, next.objs) {
			p.paging, p.pagingBad = "page ignored: page 2 repeats page 1", true
		} else {
			p.paging = fmt.Sprintf("paging honoured (pages of %d differ)", checkLimit)
			p.objs = append(p.objs, next.objs...)
		}
	default:
		p.paging = fmt.Sprintf("paging not tested (%d object(s))", n)
	}
	return p
}

// pagesDiffer reports whether pages 1 and 2 of one object hold different
// rows: a server that answers a page past the last with the last page
// again still pages, one that ignores "page" does not.
func (r *runner) pagesDiffer(ctx context.Context, c *api.Client, route string, params map[string]string) bool {
	var pages [2]decodedPage
	for i := range pages {
		body, err := c.Page(ctx, route, r.ws.Slug, params, i+1, 1)
		if err != nil {
			return false
		}
		if pages[i], err = decodePage(body); err != nil || len(pages[i].objs) == 0 {
			return false
		}
	}
	return !sameRows(pages[0].objs, pages[1].objs)
}

// decodedPage is one decoded list answer.
type decodedPage struct {
	shape    string
	envelope bool
	objs     []map[string]json.RawMessage
}

// page fetches and decodes one page.
func (r *runner) page(ctx context.Context, c *api.Client, route string, params map[string]string, n int) (decodedPage, error) {
	body, err := c.Page(ctx, route, r.ws.Slug, params, n, checkLimit)
	if err != nil {
		return decodedPage{}, err
	}
	return decodePage(body)
}

// decodePage reads a list answer as the client does and tells its shape.
func decodePage(body []byte) (decodedPage, error) {
	lp, err := api.DecodeList(body, "")
	if err != nil {
		return decodedPage{}, err
	}
	d := decodedPage{shape: "bare array"}
	if key := envelopeKey(body); key != "" {
		d.envelope = true
		d.shape = fmt.Sprintf("envelope {%q: [...]}", key)
		if lp.HasTotal {
			d.shape += " with a total"
		}
	}
	for i, raw := range lp.Items {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return decodedPage{}, fmt.Errorf("%w: element %d: %v", api.ErrInvalidBody, i, err)
		}
		d.objs = append(d.objs, obj)
	}
	return d, nil
}

// envelopeKey returns the key that holds the list in an envelope, "" for
// a bare array.
func envelopeKey(body []byte) string {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	for _, key := range []string{"data", "items", "results"} {
		if v := strings.TrimSpace(string(env[key])); strings.HasPrefix(v, "[") {
			return key
		}
	}
	return ""
}

// sameRows reports whether two pages hold the same ids (or, without ids,
// the same objects).
func sameRows(a, b []map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, o := range a {
		set[rowID(o)] = true
	}
	for _, o := range b {
		if !set[rowID(o)] {
			return false
		}
	}
	return true
}

func rowID(o map[string]json.RawMessage) string {
	if id, ok := o["id"]; ok {
		return string(id)
	}
	b, _ := json.Marshal(o)
	return string(b)
}

// idType names the JSON type of the objects' ids.
func idType(objs []map[string]json.RawMessage) string {
	if len(objs) == 0 {
		return ""
	}
	raw := strings.TrimSpace(string(objs[0]["id"]))
	switch {
	case raw == "" || raw == "null":
		return "none"
	case raw[0] == '"':
		return "string"
	case strings.ContainsAny(raw, ".eE"):
		return "number"
	}
	return "integer"
}

// text returns a scalar field as text: a string's contents or a number's
// digits.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	v := strings.TrimSpace(string(raw))
	if v == "null" {
		return ""
	}
	return v
}

// maxParents bounds the parents tried when looking for children.
const maxParents = 3

// parentParams returns the parameters to list kind k under: nil for a
// workspace-level kind, else up to maxParents parents seen so far. why
// says why there is none.
func (r *runner) parentParams(k *kind.Kind) (list []map[string]string, why string) {
	if k.Parent == "" {
		return []map[string]string{nil}, ""
	}
	for _, o := range r.seen[k.Parent] {
		if v := text(o[k.ParentField]); v != "" {
			list = append(list, map[string]string{k.ParentParam: v})
		}
		if len(list) == maxParents {
			break
		}
	}
	if len(list) == 0 {
		return nil, fmt.Sprintf("no %s listed to look under", k.Parent)
	}
	return list, ""
}

// checkKind checks a kind's list route and count route.
func (r *runner) checkKind(ctx context.Context, k *kind.Kind) {
	if r.routes[k.List].Off() {
		r.add(k.List, VerdictHandled, "switched off in the config: the kind is not read (backups leave it out, as if excluded)")
		return
	}
	all, why := r.parentParams(k)
	if why != "" {
		r.add(k.List, VerdictSkipped, why)
		if k.Count != "" {
			r.add(k.Count, VerdictSkipped, why)
		}
		return
	}
	var p listProbe
	var params map[string]string
	for _, params = range all {
		p = r.probeList(ctx, r.c, r.routes, k, k.List, params)
		if p.err != nil || len(p.objs) > 0 {
			break
		}
	}
	if api.StatusOf(p.err) == 404 {
		r.guess(ctx, k, params, &p)
	}
	r.record(k, k.List, p)
	if k.Count != "" {
		r.checkCount(ctx, k, params)
	}
}

// record turns a probe into a check and keeps its objects for children.
func (r *runner) record(k *kind.Kind, route string, p listProbe) {
	if p.err != nil {
		verdict, detail := classify(route, p.err)
		c := r.add(route, verdict, detail)
		if strings.HasPrefix(verdict, "not found") {
			o := Override{Environment: r.ws.Environment, Route: route, Default: r.routes[route].Path}
			if p.foundProbe != nil {
				o.Path = p.found
				c.Override = p.found
				c.Detail += fmt.Sprintf("; %s answers instead: %s", p.found, r.describe(k, *p.foundProbe))
				r.seen[k.Name] = append(r.seen[k.Name], p.objs...)
			} else {
				c.Detail += "; no likely path answered a list: find the path your server uses"
			}
			r.overrides = append(r.overrides, o)
		}
		return
	}
	r.seen[k.Name] = append(r.seen[k.Name], p.objs...)
	verdict := VerdictOK
	if p.envelope || idType(p.objs) == "string" {
		verdict = VerdictHandled
	}
	if p.pagingBad {
		verdict = VerdictPagingIgnored
	}
	r.add(route, verdict, r.describe(k, p)+r.overrideNote(route))
}

// describe sums up what a probe saw.
func (r *runner) describe(k *kind.Kind, p listProbe) string {
	parts := []string{p.where + ": " + p.shape, p.paging}
	if t := idType(p.objs); t != "" {
		parts = append(parts, "id "+t)
	}
	if u := unknownFields(k.Name, p.objs); len(u) > 0 {
		parts = append(parts, "unknown fields: "+strings.Join(u, ", "))
	}
	if p.pagingBad {
		parts = append(parts, "a backup of a collection larger than a page stops with a repeated page")
	}
	return strings.Join(parts, "; ")
}

// checkCount checks a kind's count route.
func (r *runner) checkCount(ctx context.Context, k *kind.Kind, params map[string]string) {
	rt := r.routes[k.Count]
	if rt.Off() {
		r.add(k.Count, VerdictHandled, "switched off in the config: lists are paged one by one until a short page")
		return
	}
	where := rt.Method + " " + rt.Path
	if path, err := rt.Build(params); err == nil {
		where = rt.Method + " " + path
	}
	body, err := r.c.Do(ctx, k.Count, r.ws.Slug, params, nil)
	switch st := api.StatusOf(err); {
	case api.NoCountStatus(st):
		r.add(k.Count, VerdictHandled, fmt.Sprintf("%s: %d, no count route: lists are paged one by one until a short page", where, st))
		return
	case err != nil:
		verdict, detail := classify(k.Count, err)
		r.add(k.Count, verdict, detail)
		return
	}
	verdict, shape := countShape(body)
	r.add(k.Count, verdict, where+": "+shape+r.overrideNote(k.Count))
}

// countShape judges a count answer.
func countShape(body []byte) (verdict, shape string) {
	raw := strings.TrimSpace(string(body))
	var obj map[string]json.RawMessage
	if strings.HasPrefix(raw, "{") && json.Unmarshal(body, &obj) == nil {
		if n, ok := obj["count"]; ok && isCount(n) {
			return VerdictOK, fmt.Sprintf(`{"count": %s}`, n)
		}
		if n, ok := obj["total"]; ok && isCount(n) {
			return VerdictHandled, fmt.Sprintf(`{"total": %s} instead of {"count": N}`, n)
		}
		if n, ok := obj["count"]; ok {
			if v, ok := api.ReadCount(n); ok {
				return VerdictHandled, fmt.Sprintf(`{"count": %s}, read as %d`, n, v)
			}
		}
	}
	if isCount(json.RawMessage(raw)) {
		return VerdictHandled, fmt.Sprintf("a bare number (%s) instead of {\"count\": N}", raw)
	}
	return VerdictError, "unreadable count: " + preview(raw)
}

// isCount reports whether raw is a non-negative integer.
func isCount(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// preview shortens a body for a detail.
func preview(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
