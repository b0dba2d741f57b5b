package api

import (
	"context"
	"fmt"
)

// uncounted ends a listing without a count route. Its last page was short
// (or empty): when that page may have been cut by a page cap (probe), the
// listing goes on with the size the server gave. An envelope's total then
// counts as a count: the total of the first page is the count before
// paging, the total of the last page fetched the count after.
func (l *listing) uncounted(ctx context.Context) error {
	l.mu.Lock()
	total, hasTotal := l.res.Count, l.res.Counted
	l.mu.Unlock()
	if !hasTotal || l.objects() < total {
		if err := l.probe(ctx); err != nil {
			return err
		}
	}
	// A listing whose rows all came on one page was read at one moment:
	// nothing could move under it. One made of several pages is read
	// once more (see recheck), with or without an envelope's total: rows
	// deleted and as many added while it paged leave the total as it was.
	// That pass is not gated on moved, as the counted path's is: a row
	// deleted behind the offset and one added at the end between the same
	// two page requests (concurrent requests of a backup, or other users)
	// leave every page's total, the objects listed and the duplicates as
	// for a listing that did not move, with a row skipped; nothing but
	// reading again tells the two. The cost is one request per page of
	// every listing of several pages under an envelope's total.
	l.mu.Lock()
	onePage := l.res.Objects <= l.maxLen
	l.mu.Unlock()
	if !hasTotal {
		if onePage || l.c.opts.NoPageContinuation {
			return nil
		}
		return l.recheck(ctx)
	}
	if l.objects() < total && !l.c.opts.NoPageContinuation {
		if err := l.continueShort(ctx, total); err != nil {
			return err
		}
	}
	l.mu.Lock()
	again := l.lastTotal
	l.mu.Unlock()
	if !l.c.opts.NoPageContinuation && (!onePage || l.moved(total, again)) {
		// Several pages, or, as with a count route, the total moved, the
		// listing does not hold it, or rows came twice.
		if err := l.recheck(ctx); err != nil {
			return err
		}
		l.mu.Lock()
		again = l.lastTotal
		l.mu.Unlock()
	}
	return l.settle(total, again, true)
}

// recheck reads a listing without a count route once more (readAgain) and
// judges what the second pass found that the first had not. Offset paging
// skips a row only when a row before it went away or moved: rows the
// second pass finds between rows the first pass listed were skipped when,
// besides, a row of the first pass is missing from the second or rows of
// the first pass come in another order. The listing is then kept, with
// them, but fails with a skippedError, since the second pass may have
// skipped rows as well and nothing counts them. When every row of the
// first pass is there again, in the same order, the new rows were
// inserted while the listing paged (other users adding rows, a table read
// without ORDER BY): they are kept, and are no error and no drift, as are
// rows found only before the first or after the last row listed before
// (a request log gains its newest rows at one end, a table ordered by id
// at the other).
//
// A volatile kind (the request log: it gains a row with every request,
// ours included, and a server keeps only its latest rows) is not read
// again: rows leave at one end and come at the other while it pages, so
// no second pass makes it consistent, and it is never restored. It is
// listed once, as it stands.
func (l *listing) recheck(ctx context.Context) error {
	if l.k.Volatile {
		return nil
	}
	l.mu.Lock()
	before := l.res.Objects
	rank := make(map[string]int, len(l.order))
	for i, id := range l.order {
		rank[id] = i
	}
	l.track = &passTrack{rank: rank, last: -1}
	l.mu.Unlock()
	err := l.readAgain(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	tr := l.track
	l.track = nil
	if err != nil {
		return err
	}
	if tr.between == 0 || (len(tr.again) == len(rank) && !tr.disorder) {
		return nil
	}
	l.res.Drift = true
	found := l.res.Objects - before
	return &skippedError{name: l.name, listed: l.res.Objects, skipped: tr.between, added: found - tr.between}
}

// passTrack follows the second pass of recheck, in the listing's order:
// how many new rows came between rows the first pass had listed, and
// whether the first pass's rows all came again in their order.
type passTrack struct {
	found   map[string]bool // rows the second pass found, new to the listing
	sawOld  bool            // a row of the first pass came
	pending int             // new rows since the last row of the first pass
	between int             // new rows with a row of the first pass before and after them

	rank     map[string]int  // the first pass's rows -> their place in its order
	again    map[string]bool // rows of the first pass the second pass found
	last     int             // the place of the first-pass row that came last
	disorder bool            // a first-pass row came after one that followed it on the first pass
}

// row notes the next row of the second pass, id, which the listing held
// already (seen) or not. A row the second pass found earlier, shifted to
// the next page, counts once. A nil track notes nothing.
func (t *passTrack) row(id string, seen bool) {
	switch {
	case t == nil:
	case !seen:
		if t.found == nil {
			t.found = make(map[string]bool)
		}
		t.found[id] = true
		t.pending++
	case t.found[id]:
	default:
		if t.again[id] {
			return // shifted to the next page: came already
		}
		if i, ok := t.rank[id]; ok {
			if t.again == nil {
				t.again = make(map[string]bool)
			}
			t.again[id] = true
			if i < t.last {
				t.disorder = true
			}
			t.last = max(t.last, i)
		}
		if t.sawOld {
			t.between += t.pending
		}
		t.sawOld, t.pending = true, 0
	}
}

// skippedError is a listing without a count route whose second pass found
// rows the first had skipped: ErrShortListing.
type skippedError struct {
	name                   string
	listed, skipped, added int
}

func (e *skippedError) Error() string {
	return fmt.Sprintf("listed %s %s; reading them again found %s rows between rows already listed (and %s added), which paging had skipped while the data changed: more may be missing",
		thousands(e.listed), e.name, thousands(e.skipped), thousands(e.added))
}

func (e *skippedError) Unwrap() error { return ErrShortListing }

// settle decides a listing against its count before paging (n) and after
// (again, when known): a listing that holds fewer objects than both is
// short, whether or not the count moved, since offset paging skips rows
// when rows before them go away; with the count after unknown, fewer
// objects than n is short too. Anything else that differs is drift.
func (l *listing) settle(n, again int, known bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	stable := known && again == n
	l.res.Drift = !stable || l.res.Objects != n
	floor := n
	if known {
		floor = min(n, again)
	}
	if l.res.Objects >= floor {
		return nil
	}
	e := &shortError{name: l.name, listed: l.res.Objects, count: n}
	if !stable {
		e.moved, e.after, e.afterKnown = true, again, known
	}
	return e
}

// shortError is a listing that fell short of its count: of a stable
// count, or of both counts when the count moved while it was paged.
type shortError struct {
	name          string
	listed, count int
	// moved reports that the count after paging differed from count
	// (after, when afterKnown) or could not be read.
	moved, afterKnown bool
	after             int
}

func (e *shortError) Error() string {
	if !e.moved {
		return fmt.Sprintf("listed %s of %s %s: %v", thousands(e.listed), thousands(e.count), e.name, ErrShortListing)
	}
	if !e.afterKnown {
		return fmt.Sprintf("listed %s of %s %s, and the count after paging could not be read: rows may have been skipped: %v",
			thousands(e.listed), thousands(e.count), e.name, ErrShortListing)
	}
	return fmt.Sprintf("listed %s %s, fewer than the count before paging (%s) and after (%s): rows went missing while the data changed: %v",
		thousands(e.listed), e.name, thousands(e.count), thousands(e.after), ErrShortListing)
}

func (e *shortError) Unwrap() error { return ErrShortListing }

// probe goes on with a listing that ended on its first page, short and not
// empty, as long as that page may have been cut by a page cap rather than
// have been the end: a server that honours "limit" only up to 50, or that
// ignores it and serves its default 20, answers such a page while more
// rows follow. It asks the next pages with the size the server gave, until
// a page is shorter than that size, empty, or brings no new id. When a
// page of that size came back full with new objects, the server caps its
// pages there, and the client asks for that size from then on (a few rows
// added to a growing collection, a request log say, are no cap; nor are
// many: keepCap asks for the first page again before the size is kept).
//
// No probe is sent when a page came back full (the server honours the
// limit), when the route was seen to answer a page larger than this one
// (its cap, if any, is larger: the page was the end), when an envelope's
// total is already reached, or when the page holds fewer than probeMin
// objects: no server caps its pages that low, and probing after every
// small listing would cost a request each (see the package doc).
func (l *listing) probe(ctx context.Context) error {
	l.mu.Lock()
	size, before := l.maxLen, l.res.Objects
	short := size > 0 && size < l.limit && l.res.Pages == 1
	l.mu.Unlock()
	if !short || size < probeMin || l.c.opts.NoPageContinuation || l.c.honoursMore(l.k.List, size) {
		return nil
	}
	l.setLimit(size)
	full := false
	for page := 2; ; page++ {
		if page > l.c.opts.MaxPages {
			return fmt.Errorf("%w: still full after %d pages", ErrTooManyPages, l.c.opts.MaxPages)
		}
		had := l.objects()
		got, err := l.fetch(ctx, page)
		if err != nil {
			// A server that caps the page size and clamps the page
			// number answers the page past the last as the last: the
			// end, under pastEnd's rule.
			end, perr := l.pastEnd(ctx, page, err)
			if perr != nil {
				return perr
			}
			if !end {
				return err
			}
			break
		}
		// The end: a short page, or one that brings no new id. A page
		// longer than asked, or one that repeats rows already listed,
		// says the server ignores the size or the page rather than caps
		// it: probing further would read the same rows again (forever on
		// a collection that grows with each request, such as the request
		// log).
		if got < size || got > size || l.objects()-had < got {
			break
		}
		full = true
	}
	if full && l.objects() > before {
		return l.keepCap(ctx, size)
	}
	return nil
}

// keepCap asks for the first page again, at the size the listing first
// asked for, and keeps size as the server's cap only if it holds: a server
// that caps its pages answers size rows again; a collection that grew
// while it paged answers more. The request log gains a row with every
// request, ours included, and a backup sends several at once: its short
// first page, then a full one at that size, were rows added behind the
// first page, not a cap. The answer is only counted: its rows are the
// listing's already, or rows added since. The listing holds its rows
// already: when the request fails (but for ctx ending), the size is
// just not kept. continueShort asks it too: a counted listing whose
// collection lost rows and gained others while it paged looks capped.
func (l *listing) keepCap(ctx context.Context, size int) error {
	r := l.req
	var err error
	if r.path, err = withPage(l.req.path, 1, l.asked); err != nil {
		return err
	}
	body, err := l.c.send(ctx, r)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // unconfirmed: not kept, the listing stands
	}
	if lp, err := decodeValidList(body); err == nil && len(lp.Items) <= size {
		l.c.rememberPageSize(size)
	}
	return nil
}

// probeMin is the smallest short first page of a listing without a count
// that probe takes for a possible page cap. The contract's default page
// size is 20; a cap below 10 rows would be stranger still.
const probeMin = 10

// sawPage notes that route answered a page of n objects.
func (c *Client) sawPage(route string, n int) {
	for {
		v, _ := c.pageSeen.LoadOrStore(route, n)
		if v.(int) >= n || c.pageSeen.CompareAndSwap(route, v, n) {
			return
		}
	}
}

// honoursMore reports whether route was seen to answer a page of more
// than n objects: a cap on its pages, if any, is above n.
func (c *Client) honoursMore(route string, n int) bool {
	v, ok := c.pageSeen.Load(route)
	return ok && v.(int) > n
}

// maxRereads bounds the passes that read a listing again after its data
// moved while it was paged.
const maxRereads = 1

// moved reports whether the collection changed while it was paged: its
// count moved from n to again, the listing does not hold n objects, or
// rows came twice. Offset paging skips a row when a row behind the offset
// goes away, and rows added meanwhile can hide that from the counts.
func (l *listing) moved(n, again int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return again != n || l.res.Objects != n || l.res.Duplicates > 0
}

// readAgain reads the listing's pages once more from the first. The
// rows already listed come again and are dropped; they are not counted
// as rows the server repeated.
func (l *listing) readAgain(ctx context.Context) error {
	l.mu.Lock()
	clear(l.sums)
	dups := l.res.Duplicates
	l.mu.Unlock()
	err := l.sequential(ctx, 1, false)
	l.mu.Lock()
	l.res.Duplicates = dups
	l.mu.Unlock()
	return err
}
