package api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"sync"

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
// come in any order. A singleton kind is fetched with Get and handed over
// as one object.
//
// With a count, the counted pages are fetched in parallel (within the
// client's concurrency), then, while the last page is full, the following
// ones one by one, to pick up rows added meanwhile, and the count is asked
// again to tell drift. Without a count, pages are fetched one by one until
// one is shorter than the page size. A page holding exactly the ids of its
// neighbour ends the listing with ErrRepeatedPage; more than MaxPages pages
// with ErrTooManyPages. On error, the ListResult says how far it got.
func (c *Client) List(ctx context.Context, k *kind.Kind, workspace string, parent Object, fn func([]Object) error) (ListResult, error) {
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
	err = l.run(ctx, params)
	l.mu.Lock()
	defer l.mu.Unlock()
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

	mu   sync.Mutex
	res  ListResult
	seen idSet                     // ids handed to fn
	sums map[int][sha256.Size]byte // page -> digest of its ids, for non-empty pages
}

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
		seen: idSet{num: map[uint64]struct{}{}, text: map[string]struct{}{}},
		sums: make(map[int][sha256.Size]byte),
	}, params, nil
}

// run fetches every page, then checks the count again.
func (l *listing) run(ctx context.Context, params map[string]string) error {
	limit := l.c.opts.PageSize
	n, counted, err := l.c.Count(ctx, l.k, l.workspace, params)
	if err != nil {
		return err
	}
	next := 1
	if counted {
		l.res.Count, l.res.Counted = n, true
		if next, err = l.parallel(ctx, (n+limit-1)/limit); err != nil {
			return err
		}
	}
	if next > 0 {
		if err := l.sequential(ctx, next); err != nil {
			return err
		}
	}
	if !counted {
		l.mu.Lock()
		l.res.Drift = l.res.Counted && l.res.Objects != l.res.Count
		l.mu.Unlock()
		return nil
	}
	again, ok, err := l.c.Count(ctx, l.k, l.workspace, params)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Drift = err != nil || !ok || again != n || l.res.Objects != n
	if err != nil {
		l.c.log.Warn("count after listing failed; marking the listing as drifted",
			"kind", l.k.Name, "error", err.Error())
	}
	return nil
}

// parallel fetches pages 1..pages concurrently. It returns the page to go
// on from one by one (0 when the last page was short, so there is none).
func (l *listing) parallel(ctx context.Context, pages int) (next int, err error) {
	if pages > l.c.opts.MaxPages {
		return 0, fmt.Errorf("%w: the count needs %d pages, the limit is %d", ErrTooManyPages, pages, l.c.opts.MaxPages)
	}
	if pages == 0 {
		return 1, nil // a count of 0: look once, rows may have come since
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.c.opts.Concurrency)
	lastLen := 0
	for p := 1; p <= pages && gctx.Err() == nil; p++ {
		g.Go(func() error {
			got, err := l.fetch(gctx, p)
			if p == pages {
				lastLen = got
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if lastLen < l.c.opts.PageSize {
		return 0, nil
	}
	return pages + 1, nil
}

// sequential fetches pages from page on, one by one, until a short one.
func (l *listing) sequential(ctx context.Context, page int) error {
	for ; ; page++ {
		if page > l.c.opts.MaxPages {
			return fmt.Errorf("%w: still full after %d pages", ErrTooManyPages, l.c.opts.MaxPages)
		}
		got, err := l.fetch(ctx, page)
		if err != nil {
			return err
		}
		if got < l.c.opts.PageSize {
			return nil
		}
	}
}

// fetch gets one page, hands it on, and returns how many elements it held.
func (l *listing) fetch(ctx context.Context, page int) (int, error) {
	r := l.req
	var err error
	if r.path, err = withPage(l.req.path, page, l.c.opts.PageSize); err != nil {
		return 0, err
	}
	body, err := l.c.send(ctx, r)
	if err != nil {
		return 0, fmt.Errorf("page %d: %w", page, err)
	}
	lp, err := decodeValidList(body) // send checked it is JSON
	if err != nil {
		return 0, fmt.Errorf("page %d: %s: %w", page, r.where(), err)
	}
	objs := make([]Object, 0, len(lp.Items))
	for _, raw := range lp.Items {
		o, err := newListedObject(l.k, l.parent, raw)
		if err != nil {
			return 0, fmt.Errorf("page %d: %w", page, err)
		}
		objs = append(objs, o)
	}
	return len(objs), l.take(page, objs, lp)
}

// take checks a page against its neighbours, drops the objects already
// seen, and hands the rest to fn.
func (l *listing) take(page int, objs []Object, lp ListPage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Pages++
	if page == 1 && !l.res.Counted && lp.HasTotal {
		l.res.Count, l.res.Counted = lp.Total, true
	}
	if len(objs) > 0 {
		sum := pageSum(objs)
		for _, nb := range []int{page - 1, page + 1} {
			if s, ok := l.sums[nb]; ok && s == sum {
				return fmt.Errorf("page %d: %w (the same ids as page %d)", page, ErrRepeatedPage, nb)
			}
		}
		l.sums[page] = sum
	}
	fresh := objs[:0]
	for _, o := range objs {
		if !l.seen.add(identity(o)) {
			l.res.Duplicates++
			continue
		}
		fresh = append(fresh, o)
	}
	if len(fresh) == 0 {
		return nil
	}
	l.res.Objects += len(fresh)
	return l.fn(fresh)
}

// idSet is a set of identities. Numeric ids (the API's are integers) are
// kept as numbers: a million of them cost about 20 MB instead of 60.
type idSet struct {
	num  map[uint64]struct{}
	text map[string]struct{}
}

// add adds id and reports whether it was new.
func (s idSet) add(id string) bool {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil && strconv.FormatUint(n, 10) == id {
		if _, dup := s.num[n]; dup {
			return false
		}
		s.num[n] = struct{}{}
		return true
	}
	if _, dup := s.text[id]; dup {
		return false
	}
	s.text[id] = struct{}{}
	return true
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
