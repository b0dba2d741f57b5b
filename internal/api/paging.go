package api

import "fmt"

// ignoresPaging ends a listing fetched page by page when the server shows
// that it ignores "page" or "limit" (the contract's section 2): page came
// back with got objects, fresh of them new to the listing. A page longer
// than the limit asked is never a page of a server that pages. On the
// listing's first pass (first), a full page after the first that brings
// fewer new objects than it holds, beyond repeatTolerance, is one too: a
// server that ignores "page" answers its first rows again, and against a
// collection that grows with every request (the request log) no two
// answers are exactly the same page, so the repeated-page check alone let
// such a listing run to MaxPages (18,698 pages of 1,000 rows in a minute).
// Later passes (reading again after drift, going on with a smaller page
// size) read rows already listed on purpose and are not judged so.
//
// An answer that ignores paging is not taken as the whole collection, not
// even the first: a server that ignores "limit" may still cut its answer
// at a maximum of its own, and nothing tells such an answer from the whole
// list. The kind fails with ErrPagingIgnored (the backup stores it
// partial); set the route to a path that pages, or fix the server.
func (l *listing) ignoresPaging(page, got, fresh int, first bool) error {
	l.mu.Lock()
	limit := l.limit
	l.mu.Unlock()
	switch {
	case got > limit:
		return &pagingError{route: l.k.List, name: l.name, page: page, limit: limit, got: got}
	case first && page > 1 && got == limit && got-fresh > repeatTolerance(limit):
		return &pagingError{route: l.k.List, name: l.name, page: page, limit: limit, got: got, repeated: got - fresh}
	}
	return nil
}

// repeatTolerance is how many rows of a full page may repeat rows listed
// earlier before the page is taken for a server that ignores "page": rows
// added in front while the listing runs push as many rows from one page to
// the next, a few per page on a busy collection.
func repeatTolerance(limit int) int {
	return max(2, limit/4)
}

// pagingError is ErrPagingIgnored for one page of a listing.
type pagingError struct {
	route, name      string
	page, limit, got int
	repeated         int // rows of the page listed before, 0 for a page longer than asked
}

func (e *pagingError) Error() string {
	if e.repeated == 0 {
		return fmt.Sprintf("page %d: %v on %s (%s): asked for %s rows, got %s",
			e.page, ErrPagingIgnored, e.route, e.name, thousands(e.limit), thousands(e.got))
	}
	return fmt.Sprintf("page %d: %v on %s (%s): %s of its %s rows came on earlier pages",
		e.page, ErrPagingIgnored, e.route, e.name, thousands(e.repeated), thousands(e.got))
}

func (e *pagingError) Unwrap() error { return ErrPagingIgnored }
