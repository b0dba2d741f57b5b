package api

import "fmt"

// ignoresPaging ends a listing fetched page by page when the server shows
// that it ignores "page" (the contract's section 2): page came back with
// got objects, fresh of them new to the listing.
//
// A server that ignores "page" answers its first rows again. On the
// listing's first pass (first), two pages in a row after the first whose
// rows came mostly (more than half) from page 1 (pageOne) are such
// answers: against a collection that grows at its end (oldest first) each
// answer is page 1, against one that grows at its top (newest first, the
// request log gaining a row with every request) or keeps only its latest
// rows (the oldest leave as new ones come), page 1 shifted by a few rows.
// One such page is not enough: rows added at the top while the listing
// runs shift every later page by as many, and a burst of a page of them
// between two requests makes the next page mostly page 1's rows once.
// Rows a page repeats from the end of the page before, and one row of
// page 1 that moved down (edited in a list sorted by update), are no sign
// of it. Later passes (reading again after drift, going on with a smaller
// page size) read rows already listed on purpose and are not judged so.
//
// A page longer than asked is a server that ignores "limit", not "page":
// it serves pages of its own size (the contract's default is 20). The
// listing adopts the size it gave and goes on by page number, as probe
// does for a page cap; if the server ignores "page" too, the next page
// holds page 1's first row again and the rule above ends the listing.
//
// An answer that ignores paging is not taken as the whole collection, not
// even the first: a server that ignores "page" may still cut its answer at
// a maximum of its own, and nothing tells such an answer from the whole
// list. The kind fails with ErrPagingIgnored (the backup stores it
// partial); set the route to a path that pages, or fix the server.
func (l *listing) ignoresPaging(page, got, fresh int, first bool) error {
	l.mu.Lock()
	limit, asked := l.limit, l.asked
	again := page > 2 && l.pageOne[page] && l.pageOne[page-1]
	l.mu.Unlock()
	if first && page > 1 && again {
		return &pagingError{route: l.k.List, name: l.name, page: page, limit: asked, got: got, repeated: got - fresh}
	}
	if got > limit {
		// The server ignores "limit": go on with pages of its size.
		l.setLimit(got)
	}
	return nil
}

// pagingError is ErrPagingIgnored for one page of a listing.
type pagingError struct {
	route, name      string
	page, limit, got int // limit: the page size the listing asked for first
	repeated         int // rows of the page listed before
}

func (e *pagingError) Error() string {
	return fmt.Sprintf("page %d: %v on %s (%s): asked for %s rows, got %s, most of them page 1's again: %s of its %s rows came on earlier pages",
		e.page, ErrPagingIgnored, e.route, e.name, thousands(e.limit), thousands(e.got), thousands(e.repeated), thousands(e.got))
}

func (e *pagingError) Unwrap() error { return ErrPagingIgnored }
