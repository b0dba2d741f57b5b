package api

import (
	"context"
	"errors"
	"fmt"
)

// repeatError is ErrRepeatedPage for page, which holds exactly the ids of
// page of.
type repeatError struct{ page, of int }

func (e *repeatError) Error() string {
	return fmt.Sprintf("page %d: %v (the same ids as page %d)", e.page, ErrRepeatedPage, e.of)
}

func (e *repeatError) Unwrap() error { return ErrRepeatedPage }

// pastEnd reports whether err, the error of fetching page one by one,
// says the server answered the page after the last (full) one with that
// last page again, which ends the listing (the contract's section 2: a
// client must detect a page repeated and stop). A server that does so
// makes every collection whose size is a multiple of the page size end
// with a repeated page. A repeat of page 1 is what a server that ignores
// "page" answers too: it ends the listing only when paging is honoured
// (see pagingHonoured); otherwise the listing fails with ErrRepeatedPage
// as before. A counted listing is then settled against its count as
// usual, so a repeat short of the count is still a short listing.
func (l *listing) pastEnd(ctx context.Context, page int, err error) (bool, error) {
	var rep *repeatError
	if !errors.As(err, &rep) || rep.page != page || rep.of != page-1 {
		return false, nil
	}
	if page-1 > 1 {
		return true, nil
	}
	return l.pagingHonoured(ctx)
}

// pagingHonoured asks pages 1 and 2 with half the page size: a server that
// pages answers them with different rows, one that ignores "page" (or
// "limit") with the same. Rows are compared as sets, so a server that
// answers rows in any order is judged the same.
func (l *listing) pagingHonoured(ctx context.Context) (bool, error) {
	l.mu.Lock()
	half := l.limit / 2
	l.mu.Unlock()
	if half < 1 {
		return false, nil
	}
	ids := func(page int) (map[string]bool, error) {
		r := l.req
		var err error
		if r.path, err = withPage(l.req.path, page, half); err != nil {
			return nil, err
		}
		body, err := l.c.send(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("page %d of %d: %w", page, half, err)
		}
		lp, err := decodeValidList(body)
		if err != nil {
			return nil, fmt.Errorf("page %d of %d: %s: %w", page, half, r.where(), err)
		}
		objs, err := l.file(lp.Items)
		if err != nil {
			return nil, err
		}
		set := make(map[string]bool, len(objs))
		for _, o := range objs {
			set[identity(o)] = true
		}
		return set, nil
	}
	first, err := ids(1)
	if err != nil {
		return false, err
	}
	second, err := ids(2)
	if err != nil {
		return false, err
	}
	if len(first) == 0 || len(second) == 0 {
		return false, nil
	}
	for id := range second {
		if first[id] {
			return false, nil
		}
	}
	return true, nil
}
