package fakeapi

import (
	"net/http"
	"sort"
	"strconv"
)

// Paging defaults of the contract.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// pageRange returns the slice [from, to) of n rows that the request's page
// and limit select. Invalid values fall back to the defaults; a limit above
// the maximum is clamped.
func (c *call) pageRange(n int) (int, int) {
	if c.s.opts.IgnorePaging {
		return 0, n
	}
	page := positive(c.query.Get("page"), 1)
	limit := positive(c.query.Get("limit"), defaultLimit)
	if limit > maxLimit {
		limit = maxLimit
	}
	if pc := c.s.opts.PageCap; pc > 0 && limit > pc {
		limit = pc
	}
	if c.s.opts.IgnorePage {
		page = 1
	}
	from := (page - 1) * limit
	if page-1 > n/limit || from >= n {
		if c.s.opts.PastEnd == "last-page" && n > 0 {
			return (n - 1) / limit * limit, n // the last page again
		}
		return n, n
	}
	return from, min(from+limit, n)
}

func positive(s string, def int) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return def
	}
	return v
}

// list answers a page of n rows; each appends row i as JSON to b. Rows
// are a bare array, or an envelope {"data": [...], "total": n}; a page's
// rows come shuffled when the request shuffles lists. An empty page is
// null with Options.NullEmptyLists.
func (c *call) list(n int, each func(b []byte, i int) []byte) resp {
	from, to := c.pageRange(n)
	if c.shortPage(from, to, n) {
		to--
	}
	b := make([]byte, 0, 64+(to-from)*256)
	if c.s.opts.Envelope {
		b = append(b, `{"data":`...)
	}
	if to == from && c.s.opts.NullEmptyLists {
		b = append(b, "null"...)
		if c.s.opts.Envelope {
			b = append(append(append(b, `,"total":`...), c.countText(n)...), '}')
		}
		return resp{status: http.StatusOK, body: b}
	}
	b = append(b, '[')
	for k, i := range c.shuffle.order(from, to) {
		if k > 0 {
			b = append(b, ',')
		}
		b = each(b, i)
	}
	b = append(b, ']')
	if c.s.opts.Envelope {
		b = append(b, `,"total":`...)
		b = append(b, c.countText(n)...)
		b = append(b, '}')
	}
	return resp{status: http.StatusOK, body: b}
}

// shortPage reports whether this page, [from, to) of n rows, is the one of
// its collection that loses its last row (Options.ShortPage): the first
// full page asked for that is not the last.
func (c *call) shortPage(from, to, n int) bool {
	if !c.s.opts.ShortPage || c.s.opts.IgnorePaging || to >= n || to-from < 2 {
		return false
	}
	if limit := positive(c.query.Get("limit"), defaultLimit); to-from < min(limit, maxLimit) {
		return false // a capped page is not full
	}
	key := c.collection()
	_, done := c.s.shorted.LoadOrStore(key, true)
	return !done
}

// collection names the collection a list request reads: its route, its
// workspace and its parameters.
func (c *call) collection() string {
	key := c.method + " "
	if c.route != nil {
		key += c.route.name
	}
	if c.ws != nil {
		key += " " + c.ws.Slug()
	}
	names := make([]string, 0, len(c.params))
	for k := range c.params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		key += " " + k + "=" + c.params[k]
	}
	return key
}

// listOf answers a page of records rendered by view, with the views'
// unordered lists shuffled when the request shuffles lists.
func listOf[T any](c *call, rows []T, view func(T) any) resp {
	return c.list(len(rows), func(b []byte, i int) []byte {
		return append(b, marshal(c.shuffle.view(view(rows[i])))...)
	})
}

// count answers {"count": n}, or 404 on a server without counts, or
// Options.CountStatus.
func (c *call) count(n int) resp {
	switch st := c.s.opts.CountStatus; {
	case st == http.StatusBadRequest:
		return badRequest("Validation failed (numeric string is expected)")
	case st != 0:
		return fail(st, http.StatusText(st))
	}
	if c.s.opts.NoCount {
		return cannot(c.method, c.uri)
	}
	b := append([]byte(`{"count":`), c.countText(n)...)
	return resp{status: http.StatusOK, body: append(b, '}')}
}

// countText spells a count or a total as Options.CountAs says.
func (c *call) countText(n int) string {
	switch c.s.opts.CountAs {
	case "string":
		return `"` + strconv.Itoa(n) + `"`
	case "float":
		return strconv.Itoa(n) + ".0"
	}
	return strconv.Itoa(n)
}
