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

// unconfirmedEndError ends a listing without a count or total on a page
// the server answered as the page before it: the rows listed may be all
// there are, or the first of more behind a maximum result window.
type unconfirmedEndError struct {
	page, objects int
}

func (e *unconfirmedEndError) Error() string {
	return fmt.Sprintf("page %d: the server answered page %d again after %s objects, and %v: rows may be missing (a server that clamps the page number at a maximum result window answers the same)",
		e.page, e.page-1, thousands(e.objects), ErrUnconfirmedEnd)
}

func (e *unconfirmedEndError) Unwrap() []error { return []error{ErrUnconfirmedEnd, ErrRepeatedPage} }

// pastEnd reports whether err, the error of fetching page one by one,
// says the server answered the page after the last (full) one with that
// last page again, which ends the listing (the contract's section 2: a
// client must detect a page repeated and stop). A server that does so
// makes every collection whose size is a multiple of the page size end
// with a repeated page. A repeat of page 1 is what a server that ignores
// "page" answers too: it ends the listing only when paging is honoured
// (see pagingHonoured); otherwise the listing fails with ErrRepeatedPage
// as before.
//
// A server that clamps the page number at a maximum result window
// repeats its last allowed page the same way while rows remain, so a
// repeat is taken for the end only when a count (or an envelope's total)
// can confirm it: a counted listing is then settled against its count as
// usual (complete when it holds the count, short otherwise). Without one,
// or with a count smaller than the rows listed (a "count" that is the
// page's own row count), the listing ends there with an unconfirmedEndError (ErrUnconfirmedEnd,
// with ErrRepeatedPage) and is marked as drifted: the backup stores the
// kind as partial, never as complete.
func (l *listing) pastEnd(ctx context.Context, page int, err error) (bool, error) {
	var rep *repeatError
	if !errors.As(err, &rep) || rep.page != page || rep.of != page-1 {
		return false, nil
	}
	if page-1 == 1 {
		if ok, err := l.pagingHonoured(ctx); err != nil || !ok {
			return ok, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.res.Counted && l.res.Objects <= l.res.Count {
		return true, nil // settled against the count: complete or short
	}
	l.res.Drift = true
	return true, &unconfirmedEndError{page: page, objects: l.res.Objects}
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
