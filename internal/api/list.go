package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"golang.org/x/sync/errgroup"
)

// ListResult sums up one listing.
type ListResult struct {
	Objects    int // distinct objects handed to fn
	Pages      int // pages fetched
	Duplicates int // objects dropped because their id came earlier in the listing
	// Count is the count route's answer before paging or, for a kind
	// without one, the total the first page's envelope gave; Counted
	// reports whether there was one.
	Count   int
	Counted bool
	// Drift reports that the collection changed while it was paged: the
	// count after paging differs from the count before (or could not be
	// read), or the listing does not hold Count objects.
	Drift bool
}

// List pages through every object of kind k under parent (the zero Object
// for workspace-level kinds) and hands each page to fn, filed with
// NewObject and without the objects whose id came earlier in the listing.
// fn is never called concurrently and never with an empty page; pages may
// come in any order. The slice fn gets is reused once it returns (copy the
// Objects to keep them; their Raw bytes are never reused). A singleton
// kind is fetched with Get and handed over as one object.
//
// With a count, the counted pages are fetched in parallel (within the
// client's concurrency), then, while the last page is full, the following
// ones one by one, to pick up rows added meanwhile, and the count is asked
// again to tell drift. A counted listing is complete only when it accounts
// for its count: when it holds fewer objects than the count, it goes on
// with the page size the server honoured (see PageSize) or asks the pages
// that came back short once more (unless Options.NoPageContinuation); if it
// still holds fewer than a count that did not change while it was paged,
// List fails with ErrShortListing ("listed 2,630 of 5,260 items of ...").
// A count that changed is drift, reported in ListResult.Drift: the pages
// are then read once more (see moved), and a listing that still holds
// fewer objects than both counts fails with ErrShortListing too, since
// rows that were there all along were skipped.
//
// Without a count, pages are fetched one by one until one is shorter than
// the page size; a first page that may have been cut by a page cap is
// probed (see probe). An envelope's total counts as a count. A listing of
// several pages is then read once more, and fails with ErrShortListing
// when the second pass finds rows between rows already listed (see
// recheck). Such a listing cannot be proven complete: a server that drops
// rows from a page looks the same as one that has no more. A server that
// ignores page or limit fails it with ErrPagingIgnored (see
// ignoresPaging). A page holding exactly the ids
// of its neighbour ends the listing with ErrRepeatedPage, unless it is the
// page after a full one, answered as that page again (see pastEnd): the
// listing then ends there, complete only when a count or total confirms
// it, with ErrUnconfirmedEnd (and Drift) when none does. More than MaxPages pages fail with ErrTooManyPages. On
// error, the ListResult says how far it got.
func (c *Client) List(ctx context.Context, k *kind.Kind, workspace string, parent Object, fn func([]Object) error) (ListResult, error) {
	return c.list(ctx, k, workspace, parent, fn, false)
}

// ListLent lists as List does, but the objects' Raw are lent to fn: they
// are slices of a page buffer that the client reads a later page into
// once fn has returned, so fn must copy what it keeps of them (their other
// fields are its to keep). A backup, whose store copies each object into
// buffers of its own, lists so: each page read into a fresh buffer was 36%
// of a first backup's allocation.
func (c *Client) ListLent(ctx context.Context, k *kind.Kind, workspace string, parent Object, fn func([]Object) error) (ListResult, error) {
	return c.list(ctx, k, workspace, parent, fn, true)
}

func (c *Client) list(ctx context.Context, k *kind.Kind, workspace string, parent Object, fn func([]Object) error, lend bool) (ListResult, error) {
	if k.Singleton {
		o, err := c.Get(ctx, k, workspace, nil)
		if err != nil {
			return ListResult{}, fmt.Errorf("list %s: %w", k.Name, err)
		}
		if err := fn([]Object{o}); err != nil {
			return ListResult{Pages: 1}, c.scrub(fmt.Errorf("list %s: %w", k.Name, err))
		}
		return ListResult{Objects: 1, Pages: 1}, nil
	}
	l, params, err := c.newListing(k, workspace, parent, fn)
	if err != nil {
		return ListResult{}, err
	}
	l.lend = lend
	err = l.run(ctx, params)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch err.(type) {
	case *shortError, *skippedError:
		return l.res, err
	}
	if err != nil {
		return l.res, c.scrub(fmt.Errorf("list %s: %w", l.name, err))
	}
	return l.res, nil
}

// listing is the state of one List call.
type listing struct {
	c         *Client
	k         *kind.Kind
	name      string // for errors: "items of contracts"
	workspace string
	req       request // the first page's request, without paging
	parent    string  // the parent's value, filed in each Object
	fn        func([]Object) error

	mu    sync.Mutex
	limit int // the page size asked for
	asked int // the page size the listing asked for first, for errors
	// firstIDs are the identities of page 1's rows; pageOne the pages
	// after the first whose rows came mostly from page 1 (see
	// ignoresPaging).
	firstIDs map[string]bool
	pageOne  map[int]bool
	maxLen   int   // the largest page seen
	short    []int // counted pages that came back shorter than they should
	res      ListResult
	seen     idSet                     // ids handed to fn
	sums     map[int][sha256.Size]byte // page -> digest of its ids, for non-empty pages
	// lastTotal is the total of the envelope fetched last, if any: the
	// count after paging of a listing without a count route.
	lastTotal int
	// track, while recheck reads a listing again, notes where new rows come.
	track *passTrack
	// order holds the identities of the rows listed outside recheck's
	// pass, in the order they first came: the first pass's order. Kept
	// only when keepOrder: a listing without a count route, of a kind
	// that is not volatile (the ones recheck may read again).
	order     []string
	keepOrder bool
	// lend is set by ListLent: pages are read into buffers of pageBufs,
	// given back once fn has returned.
	lend bool
}

// pageBufs holds the buffers lent listings read their pages into.
var pageBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxLentPage is the largest page buffer kept for another page.
const maxLentPage = 4 << 20

func (c *Client) newListing(k *kind.Kind, workspace string, parent Object, fn func([]Object) error) (*listing, map[string]string, error) {
	if k.List == "" {
		return nil, nil, fmt.Errorf("list %s: the kind has no list route", k.Name)
	}
	name := k.Name
	params, err := ParentParams(k, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", name, err)
	}
	pv := parentValue(k, params)
	if k.Parent != "" {
		if pv == "" || (parent.Kind != "" && parent.Kind != k.Parent) {
			return nil, nil, fmt.Errorf("list %s: needs a parent of kind %s", name, k.Parent)
		}
		label := k.Parent
		if pk, err := kind.ByName(k.Parent); err == nil {
			label = pk.Label
		}
		name = fmt.Sprintf("%s of %s %s", k.Name, label, pv)
	}
	req, err := c.newRequest(k.List, workspace, params, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", name, err)
	}
	return &listing{
		c: c, k: k, name: name, workspace: workspace, req: req, parent: pv, fn: fn,
		seen: newIDSet(),
		sums: make(map[int][sha256.Size]byte),
	}, params, nil
}

// run fetches every page, then checks the count again.
func (l *listing) run(ctx context.Context, params map[string]string) error {
	l.limit = l.c.PageSize()
	l.asked = l.limit
	n, counted, err := l.c.Count(ctx, l.k, l.workspace, params)
	if err != nil {
		return err
	}
	next := 1
	// Without a count route the listing may be read again (recheck), which
	// judges the second pass against the first's order; a counted listing
	// never is, and keeps no list of its ids (a million ids are some 24 MB).
	l.mu.Lock()
	l.keepOrder = !counted && !l.k.Volatile
	l.mu.Unlock()
	if counted {
		l.res.Count, l.res.Counted = n, true
		heardCount(ctx, l.k.Name, n)
		if next, err = l.parallel(ctx, n); err != nil {
			return err
		}
	}
	if next > 0 {
		if err := l.sequential(ctx, next, true); err != nil {
			return err
		}
	}
	if !counted {
		return l.uncounted(ctx)
	}
	if l.objects() < n && !l.c.opts.NoPageContinuation {
		if err := l.continueShort(ctx, n); err != nil {
			return err
		}
	}
	again, ok, err := l.c.Count(ctx, l.k, l.workspace, params)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil && ok && !l.c.opts.NoPageContinuation && l.moved(n, again) {
		// The data moved under the offset paging, which skips rows when
		// rows before them go away: read the pages once more (the ids
		// already seen are dropped, and not counted as repeated rows)
		// and take the count again.
		if err := l.readAgain(ctx); err != nil {
			return err
		}
		again, ok, err = l.c.Count(ctx, l.k, l.workspace, params)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err != nil {
		l.c.log.Warn("count after listing failed; marking the listing as drifted",
			"kind", l.k.Name, "error", err.Error())
	}
	return l.settle(n, again, err == nil && ok)
}

// objects returns the distinct objects listed so far.
func (l *listing) objects() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res.Objects
}

// continueShort goes on with a counted listing that holds fewer than the
// count's n objects. When no page came back as large as asked, the server
// honours a smaller page size, the largest page it gave: the listing goes
// on from the offset it reached with pages of that size (and, if the pages
// before did not line up with them, reads again from the start), and the
// client keeps the size for later listings once it brought new objects
// and the first page, asked again at the size wanted, is no longer
// (keepCap: rows deleted and added while it paged are no cap).
// Otherwise the pages that came back shorter than they should have are
// asked for once more.
func (l *listing) continueShort(ctx context.Context, n int) error {
	l.mu.Lock()
	honoured, short := l.maxLen, slices.Clone(l.short)
	before := l.res.Objects
	l.mu.Unlock()
	if honoured == 0 {
		return nil // the server gave nothing: nothing to learn a size from
	}
	if honoured < l.limit {
		l.setLimit(honoured)
		if err := l.sequential(ctx, before/honoured+1, false); err != nil {
			return err
		}
		if l.objects() < n {
			l.setLimit(honoured)
			if err := l.sequential(ctx, 1, false); err != nil {
				return err
			}
		}
		if l.objects() > before {
			return l.keepCap(ctx, honoured)
		}
		return nil
	}
	slices.Sort(short)
	for _, p := range short {
		if _, err := l.fetch(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// setLimit changes the page size of the rest of the listing. Pages of
// another size are other pages: the digests that tell a repeated page are
// dropped.
func (l *listing) setLimit(limit int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit = limit
	clear(l.sums)
}

// PageSize returns the page size listings ask for: Options.PageSize, or
// the smaller size the server was seen to honour in an earlier listing
// (the server answered pages of that size when asked for more).
func (c *Client) PageSize() int {
	if n := int(c.pageCap.Load()); n > 0 && n < c.opts.PageSize {
		return n
	}
	return c.opts.PageSize
}

// rememberPageSize keeps n as the page size the server honours.
func (c *Client) rememberPageSize(n int) {
	for {
		old := c.pageCap.Load()
		if old != 0 && old <= int64(n) {
			return
		}
		if c.pageCap.CompareAndSwap(old, int64(n)) {
			c.log.Warn("the server returns fewer objects per page than asked; later listings ask for that size",
				"page_size", n, "configured", c.opts.PageSize,
				"hint", fmt.Sprintf("set page_size: %d for this environment", n))
			return
		}
	}
}

// parallel fetches the pages that hold the count's n objects concurrently.
// It returns the page to go on from one by one (0 when the last page was
// short, so there is none).
func (l *listing) parallel(ctx context.Context, n int) (next int, err error) {
	limit := l.limit
	pages := (n + limit - 1) / limit
	if pages > l.c.opts.MaxPages {
		return 0, fmt.Errorf("%w: the count needs %d pages, the limit is %d", ErrTooManyPages, pages, l.c.opts.MaxPages)
	}
	if pages == 0 {
		return 1, nil // a count of 0: look once, rows may have come since
	}
	g, gctx := errgroup.WithContext(ctx)
	lastLen := 0
	// A fixed set of goroutines takes the pages in order: a goroutine a
	// page grew a fresh stack to the depth of a request each time, 2.5%
	// of a first backup's CPU in copystack.
	var taken atomic.Int64
	for range max(1, min(l.c.opts.Concurrency, pages)) {
		g.Go(func() error {
			for {
				p := int(taken.Add(1))
				if p > pages || gctx.Err() != nil {
					return nil
				}
				got, err := l.fetch(gctx, p)
				if err != nil {
					return err
				}
				want := min(limit, n-(p-1)*limit)
				l.mu.Lock()
				if p == pages {
					lastLen = got
				}
				if got < want {
					l.short = append(l.short, p)
				}
				l.mu.Unlock()
			}
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if lastLen < limit {
		return 0, nil
	}
	return pages + 1, nil
}

// sequential fetches pages from page on, one by one, until a short one.
// A page longer than asked makes its size the page size of the rest of the
// listing; on the first pass (first), a page after the first that holds
// page 1's first row again ends the listing with ErrPagingIgnored (see
// ignoresPaging).
func (l *listing) sequential(ctx context.Context, page int, first bool) error {
	for ; ; page++ {
		if page > l.c.opts.MaxPages {
			return fmt.Errorf("%w: still full after %d pages", ErrTooManyPages, l.c.opts.MaxPages)
		}
		had := l.objects()
		got, err := l.fetch(ctx, page)
		if err != nil {
			if end, perr := l.pastEnd(ctx, page, err); perr != nil || end {
				return perr
			}
			return err
		}
		if err := l.ignoresPaging(page, got, l.objects()-had, first); err != nil {
			return err
		}
		if got < l.limit {
			return nil
		}
	}
}

// fetch gets one page, hands it on, and returns how many elements it held.
// A page that is a bare array of objects is checked, cut into elements and
// hashed in one pass while it is judged (splitSummed), and its objects
// carry their Sum; any other answer is checked and decoded the general way.
func (l *listing) fetch(ctx context.Context, page int) (int, error) {
	r := l.req
	var err error
	l.mu.Lock()
	limit := l.limit
	l.mu.Unlock()
	if r.path, err = withPage(l.req.path, page, limit); err != nil {
		return 0, err
	}
	sc := splitScratch.Get().(*splitter)
	defer sc.release()
	var lent *[]byte
	if l.lend {
		lent = pageBufs.Get().(*[]byte)
		r.into = *lent
	}
	var sp summedPage
	summed := false
	r.valid = func(body []byte) bool {
		sp, summed = sc.splitSummed(body, idFields(l.k), limit)
		return summed || jsonv.Valid(body)
	}
	body, err := l.c.send(ctx, r)
	if err != nil {
		return 0, fmt.Errorf("page %d: %w", page, err)
	}
	var objs []Object
	if summed && len(body) > 0 && len(sp.body) == len(body) && &sp.body[0] == &body[0] {
		objs, sc.text, sc.spans, err = l.fileSummed(sp, sc.objs[:0], sc.text, sc.spans)
		sc.objs = objs
	} else {
		var lp ListPage
		lp, err = decodeValidList(body) // send checked it is JSON
		if err != nil {
			return 0, fmt.Errorf("page %d: %s: %w", page, r.where(), err)
		}
		objs, err = l.file(lp.Items)
		sp.total, sp.hasTotal = lp.Total, lp.HasTotal
		l.c.warnBadTotal(l.k.List, lp.BadTotal)
	}
	if err != nil {
		return 0, fmt.Errorf("page %d: %w", page, err)
	}
	if err := l.take(page, objs, ListPage{Total: sp.total, HasTotal: sp.hasTotal}); err != nil {
		return len(objs), err
	}
	if lent != nil && cap(body) <= maxLentPage {
		// fn has returned: nothing refers to the page any more (the
		// objects' ids and keys are strings of their own, sc lets go of
		// it when released).
		*lent = body[:0]
		pageBufs.Put(lent)
	}
	return len(objs), nil
}

// file files a page's elements as objects of the listing's kind.
func (l *listing) file(items []json.RawMessage) ([]Object, error) {
	objs := make([]Object, 0, len(items))
	for _, raw := range items {
		o, err := newListedObject(l.k, l.parent, raw)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// fileSummed files the elements of a page splitSummed read, each with its
// sum, from the fields it kept: no element is scanned again. The ids and
// keys that are their JSON text as it stands (numbers, strings without
// escapes) are gathered in text, scratch kept from page to page, and made
// one string for the page (a string an object was a sixth of a backup's
// allocations); any other is decoded on its own by fileFields.
func (l *listing) fileSummed(p summedPage, objs []Object, text []byte, spans [][2]span) ([]Object, []byte, [][2]span, error) {
	// spans, per object: id and key in text; from -1 when not there
	text = text[:0]
	if l.k.IDField != "" {
		separate := idFields(l.k)[1] != l.k.IDField
		spans = slices.Grow(spans[:0], len(p.items))[:len(p.items)]
		for i := range p.items {
			spans[i] = [2]span{{-1, -1}, {-1, -1}}
			id, ok := plainScalar(p.fields[i][0])
			if !ok {
				continue
			}
			key := id
			if separate {
				if key, ok = plainScalar(p.fields[i][1]); !ok {
					continue
				}
			}
			spans[i][0] = span{len(text), len(text) + len(id)}
			text = append(text, id...)
			spans[i][1] = span{len(text), len(text) + len(key)}
			text = append(text, key...)
		}
	}
	all := string(text)
	for i, raw := range p.items {
		o := Object{Kind: l.k.Name, Parent: l.parent, Raw: raw, Sum: p.sums[i], Summed: true}
		switch {
		case l.k.IDField == "":
		case spans[i][0].from >= 0:
			o.ID, o.Key = all[spans[i][0].from:spans[i][0].to], all[spans[i][1].from:spans[i][1].to]
		default:
			var err error
			if o, err = fileFields(l.k, o, p.fields[i]); err != nil {
				return nil, text, spans, err
			}
		}
		objs = append(objs, o)
	}
	return objs, text, spans, nil
}

// span is where fileSummed put an object's id or key in its text.
type span struct{ from, to int }

// take checks a page against its neighbours, drops the objects already
// seen, and hands the rest to fn.
func (l *listing) take(page int, objs []Object, lp ListPage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Pages++
	l.maxLen = max(l.maxLen, len(objs))
	if page == 1 && !l.res.Counted && lp.HasTotal {
		l.res.Count, l.res.Counted = lp.Total, true
	}
	if lp.HasTotal {
		l.lastTotal = lp.Total
	}
	l.c.sawPage(l.k.List, len(objs))
	if len(objs) > 0 {
		if page == 1 && l.firstIDs == nil {
			l.firstIDs = make(map[string]bool, len(objs))
			for _, o := range objs {
				l.firstIDs[identity(o)] = true
			}
		}
		if page > 1 && l.firstIDs != nil {
			n := 0
			for _, o := range objs {
				if l.firstIDs[identity(o)] {
					n++
				}
			}
			if 2*n > len(objs) {
				if l.pageOne == nil {
					l.pageOne = map[int]bool{}
				}
				l.pageOne[page] = true
			}
		}
		sum := pageSum(objs)
		for _, nb := range []int{page - 1, page + 1} {
			if s, ok := l.sums[nb]; ok && s == sum {
				return &repeatError{page: page, of: nb}
			}
		}
		l.sums[page] = sum
	}
	fresh := objs[:0]
	for _, o := range objs {
		id := identity(o)
		if !l.seen.add(id) {
			l.res.Duplicates++
			l.track.row(id, true)
			continue
		}
		if l.track == nil {
			if l.keepOrder {
				l.order = append(l.order, id)
			}
		} else {
			l.track.row(id, false)
		}
		fresh = append(fresh, o)
	}
	if len(fresh) == 0 {
		return nil
	}
	l.res.Objects += len(fresh)
	return l.fn(fresh)
}

// identity is what de-duplicates an object: its id, or its bytes for a
// kind without ids.
func identity(o Object) string {
	if o.ID != "" {
		return o.ID
	}
	return "raw:" + string(o.Raw)
}

// pageSum digests the identities of a page's objects, sorted: a server
// that answers the same rows in another order is still repeating itself.
func pageSum(objs []Object) [sha256.Size]byte {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = identity(o)
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
