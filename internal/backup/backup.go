package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Source reads a workspace. *api.Client implements it.
type Source interface {
	List(ctx context.Context, k *kind.Kind, workspace string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error)
	Get(ctx context.Context, k *kind.Kind, workspace string, params map[string]string) (api.Object, error)
}

var _ Source = (*api.Client)(nil)

// Sink receives the objects of a snapshot. *snapshot.Writer implements it.
type Sink interface {
	Put(kind, parent, key string, raw []byte) error
	Fail(kind string, err error)
}

// SummedSink is a Sink that can also file an object under the sum the
// client took while it checked the page (api.Object.Sum, the SHA-256 of
// the object's canonical form): the walker hands summed objects to PutSum,
// so that they are not canonicalised and hashed a second time. PutSum may
// keep raw without copying it: it is a slice of the page the client read,
// which neither the client nor the walker modifies or reuses.
// *snapshot.Writer has it as PutOwned; internal/app adapts it.
type SummedSink interface {
	Sink
	PutSum(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error
}

// LendingSource is a Source that can lend a listing's objects' bytes
// (api.Client.ListLent): fn must copy what it keeps of each Raw, and the
// source reads its next pages into the same buffers.
type LendingSource interface {
	ListLent(ctx context.Context, k *kind.Kind, workspace string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error)
}

var _ LendingSource = (*api.Client)(nil)

// CopyingSink is a SummedSink whose PutSumCopy files an object as PutSum
// does but copies raw, and whose Put copies raw as well: the walker then lists with a LendingSource's
// ListLent, so that each page is read into a buffer used again, not a
// fresh one. *snapshot.Writer has it as PutCopy; internal/app adapts it.
type CopyingSink interface {
	SummedSink
	PutSumCopy(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error
}

// Filter reports whether a kind is walked; typeSlug is set for kinds that
// live under a type (fields, items, forms, flows and their stages and tasks).
type Filter func(kind, typeSlug string) bool

// Options configures one walk.
type Options struct {
	Workspace string // the en-workspace value
	Filter    Filter // nil walks everything
	// Collections is how many collections are listed at the same time;
	// 0 means 8. Requests are capped by the client's own limiter.
	Collections int
	Logger      *slog.Logger
	// Progress, if set, is called after every page with the kind and the
	// number of objects stored so far in the run.
	Progress func(kind string, objects int64)
}

// Result sums up a walk.
type Result struct {
	Counts map[string]int    // objects stored per kind
	Failed map[string]string // kind -> error, for kinds that could not be read
	Drift  []string          // listings whose count changed while paging, or duplicates seen
	// NotRead names the kinds not read because the config switched their
	// list (or get) route off (api.ErrRouteOff), with why: like an
	// excluded kind, such a kind is neither counted nor failed.
	NotRead map[string]string
	// NotTheAPI is true when nothing was stored and every kind that failed
	// on its own failed with 404 or an HTML page: the base URL most likely
	// points at something other than the Enspace API.
	NotTheAPI bool
}

// ErrAccess is returned when the API refused the key (401) or the workspace
// (403): the run stops at once.
var ErrAccess = errors.New("access refused")

// ErrUnreachable is returned when a kind could not be read because the
// server could not be reached (see api.Unreachable) before any object was
// stored: the run stops at once, since every other kind would fail the
// same way after its own retries, and an empty snapshot helps nobody.
// Once objects were stored, the same failure only fails its kind.
var ErrUnreachable = errors.New("server unreachable")

// Run walks the workspace into sink. It returns an error only when the run
// cannot go on (access refused, context cancelled, the sink failing); kinds
// that fail on their own are reported in Result.Failed and in the sink.
func Run(ctx context.Context, src Source, sink Sink, opts Options) (*Result, error) {
	w := &walker{src: src, sink: sink, opts: opts, res: &Result{Counts: map[string]int{}, Failed: map[string]string{}, NotRead: map[string]string{}}}
	if w.opts.Logger == nil {
		w.opts.Logger = slog.New(slog.DiscardHandler)
	}
	if w.opts.Collections <= 0 {
		w.opts.Collections = 8
	}
	err := w.run(ctx)
	w.res.NotTheAPI = w.objects.Load() == 0 && w.notAPI.Load() > 0 && w.otherFailures.Load() == 0
	return w.res, err
}

type walker struct {
	src  Source
	sink Sink
	opts Options

	g     *errgroup.Group
	gctx  context.Context
	slots chan struct{} // one per collection being listed

	mu      sync.Mutex
	res     *Result
	objects atomic.Int64
	// notAPI and otherFailures count the kinds that failed on their own
	// with 404 or an HTML page, and with anything else: see NotTheAPI.
	notAPI, otherFailures atomic.Int64
}

func (w *walker) include(kind, typeSlug string) bool {
	return w.opts.Filter == nil || w.opts.Filter(kind, typeSlug)
}

// run lists every workspace-level kind at once, and the kinds below a
// parent object as soon as a page brings it: the items of a type start
// while the types listing still checks its count and members and roles are
// still being listed, so no level waits for another. A semaphore caps the
// collections being listed, except listings of parent kinds (types, flows,
// stages), which are few, short, and what everything else waits for; the
// client's limiter caps the requests.
func (w *walker) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	w.g, w.gctx = g, gctx
	w.slots = make(chan struct{}, w.opts.Collections)
	for _, k := range kind.All() {
		if k.Parent != "" || !w.needed(k, "") {
			continue
		}
		w.spawn(k, api.Object{})
	}
	return g.Wait()
}

// spawn lists kind k under parent on the walk's group; the listing spawns
// the kinds below each object it finds.
func (w *walker) spawn(k *kind.Kind, parent api.Object) {
	w.g.Go(func() error {
		if !isParent(k) {
			select {
			case w.slots <- struct{}{}:
			case <-w.gctx.Done():
				return w.gctx.Err()
			}
			defer func() { <-w.slots }()
		}
		parents, err := w.collect(w.gctx, k, parent)
		if err != nil {
			return err
		}
		w.afterParents(k, parents)
		return nil
	})
}

// needed reports whether kind k must be listed for the type typeSlug ("" at
// workspace level): because the filter includes it, or because a kind below
// it is included and needs its objects as parents.
func (w *walker) needed(k *kind.Kind, typeSlug string) bool {
	if k.Name == kind.Types && typeSlug == "" {
		return true // types are listed to find everything below them; the filter decides what is stored
	}
	if w.include(k.Name, typeSlug) {
		return true
	}
	for _, c := range kind.All() {
		if c.Parent == k.Name && w.needed(c, typeSlug) {
			return true
		}
	}
	return false
}

// spawnBelow spawns the listing of every kind whose parent is k under the
// parent object p.
func (w *walker) spawnBelow(k *kind.Kind, p api.Object) {
	for _, c := range kind.All() {
		if c.Parent == k.Name && w.needed(c, typeSlugOf(p)) {
			w.spawn(c, p)
		}
	}
}

// afterParents settles the kinds below k once k's listing under one parent
// has ended with n objects: if k failed, they fail too, with an error that
// says why (a failed listing never looks like a deletion); if k has no
// objects, they are read and empty.
func (w *walker) afterParents(k *kind.Kind, n int) {
	for _, c := range kind.All() {
		if c.Parent != k.Name {
			continue
		}
		if w.failedKind(k.Name) != "" {
			w.failBelow(k)
			return
		}
		if n == 0 {
			w.knownEmpty(c)
		}
	}
}

// typeSlugOf returns the type slug a parent object belongs to, carried down
// from types to flows to stages through Object.Parent.
func typeSlugOf(p api.Object) string {
	if p.Kind == kind.Types {
		return p.Key
	}
	return p.Parent
}

// isParent reports whether other kinds live under objects of k.
func isParent(k *kind.Kind) bool {
	for _, c := range kind.All() {
		if c.Parent == k.Name {
			return true
		}
	}
	return false
}

// collect lists one collection into the sink, storing the objects the
// filter includes, and spawns the kinds below each object of a parent kind
// as soon as it is stored (with Parent set to its type slug, so that those
// kinds can be filtered by type). It returns how many parent objects it
// found.
func (w *walker) collect(ctx context.Context, k *kind.Kind, parent api.Object) (int, error) {
	parentKey := ""
	if k.Parent != "" {
		params, err := api.ParentParams(k, parent)
		if err != nil {
			return 0, err
		}
		parentKey = params[k.ParentParam]
	}
	keep := isParent(k)
	parents := 0
	summer, _ := w.sink.(SummedSink)
	list := w.src.List
	copier, copies := w.sink.(CopyingSink)
	if lender, ok := w.src.(LendingSource); ok && copies {
		list = lender.ListLent
	} else {
		copier = nil
	}
	store := func(objs []api.Object) error {
		stored := 0
		for _, o := range objs {
			slug := typeSlugOf(parent)
			if k.Name == kind.Types {
				slug = o.Key
			}
			if w.include(k.Name, slug) {
				var err error
				switch {
				case o.Summed && copier != nil:
					err = copier.PutSumCopy(k.Name, parentKey, o.Key, o.Sum, o.Raw)
				case o.Summed && summer != nil:
					err = summer.PutSum(k.Name, parentKey, o.Key, o.Sum, o.Raw)
				default:
					err = w.sink.Put(k.Name, parentKey, o.Key, o.Raw)
				}
				if err != nil {
					return &sinkError{fmt.Errorf("store %s %s: %w", k.Label, o.Key, err)}
				}
				stored++
				w.objects.Add(1) // before the kinds below spawn: see ErrUnreachable
			}
			if keep {
				c := o
				c.Raw = nil
				c.Parent = slug
				parents++
				w.spawnBelow(k, c)
			}
		}
		n := w.objects.Load()
		w.count(k.Name, stored)
		if w.opts.Progress != nil {
			w.opts.Progress(k.Name, n)
		}
		return nil
	}
	var err error
	if k.Singleton {
		var o api.Object
		o, err = w.src.Get(ctx, k, w.opts.Workspace, nil)
		if err == nil {
			err = store([]api.Object{o})
		}
	} else {
		var res api.ListResult
		res, err = list(ctx, k, w.opts.Workspace, parent, store)
		if err == nil {
			w.noteDrift(k, parentKey, res)
		}
	}
	if err == nil {
		w.count(k.Name, 0) // a kind read with no objects counts 0
		return parents, nil
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if errors.Is(err, api.ErrRouteOff) {
		w.notRead(k, err)
		return 0, nil
	}
	if api.StatusOf(err) == http.StatusForbidden && userLevel(k) {
		// The key's own API keys and request logs need a key with global
		// scope: a workspace key is refused them, and reads the rest.
		err = fmt.Errorf("%w (the key lacks the global scope that %s need: give it global read access, or exclude the kind)", err, k.Name)
		w.otherFailures.Add(1)
		w.fail(k, err)
		w.opts.Logger.Warn("kind could not be read", "kind", k.Name, "err", err)
		return 0, nil
	}
	if st := api.StatusOf(err); st == http.StatusUnauthorized || st == http.StatusForbidden {
		return 0, fmt.Errorf("%w: list %s: %w", ErrAccess, k.Name, err)
	}
	if api.Unreachable(err) && w.objects.Load() == 0 {
		return 0, fmt.Errorf("%w: list %s: %w", ErrUnreachable, k.Name, err)
	}
	var sinkErr *sinkError
	if errors.As(err, &sinkErr) {
		return 0, err
	}
	if parentKey != "" {
		err = fmt.Errorf("under %s %s: %w", k.Parent, parentKey, err)
	}
	if api.StatusOf(err) == http.StatusNotFound || errors.Is(err, api.ErrHTMLPage) {
		w.notAPI.Add(1)
	} else {
		w.otherFailures.Add(1)
	}
	w.fail(k, err)
	w.opts.Logger.Warn("kind could not be read", "kind", k.Name, "parent", parentKey, "err", err)
	return parents, nil
}

// userLevel reports whether k is read at user level, not in the workspace:
// the key's API keys and request logs (audit kinds that are lists).
func userLevel(k *kind.Kind) bool { return k.Class == kind.Audit && !k.Singleton }

type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

// notRead records that kind k is not read, because its route is
// switched off in the config; it is logged once per kind.
func (w *walker) notRead(k *kind.Kind, err error) {
	w.mu.Lock()
	_, seen := w.res.NotRead[k.Name]
	w.res.NotRead[k.Name] = err.Error()
	w.mu.Unlock()
	if !seen {
		w.opts.Logger.Info("kind not read: its route is switched off in the config", "kind", k.Name, "err", err)
	}
}

// failBelow marks every kind below k as failed: k could not be read, so
// nothing under it was.
func (w *walker) failBelow(k *kind.Kind) {
	for _, c := range kind.All() {
		if c.Parent == k.Name {
			w.fail(c, fmt.Errorf("not read: its parent kind %s could not be read", k.Name))
			w.failBelow(c)
		}
	}
}

// knownEmpty records kind c, and the kinds below it, as read and empty:
// their parent kind was listed and has no objects, so they have none
// either (a workspace without flows has no stages), which is not unknown.
func (w *walker) knownEmpty(c *kind.Kind) {
	if !w.include(c.Name, "") {
		return // only some types' objects are backed up: nothing to say for all
	}
	w.count(c.Name, 0)
	for _, g := range kind.All() {
		if g.Parent == c.Name {
			w.knownEmpty(g)
		}
	}
}

func (w *walker) count(kind string, n int) {
	w.mu.Lock()
	w.res.Counts[kind] += n
	w.mu.Unlock()
}

func (w *walker) fail(k *kind.Kind, err error) {
	w.mu.Lock()
	if prev, ok := w.res.Failed[k.Name]; ok {
		w.res.Failed[k.Name] = prev + "; " + err.Error()
	} else {
		w.res.Failed[k.Name] = err.Error()
	}
	w.mu.Unlock()
	w.sink.Fail(k.Name, err)
}

func (w *walker) failedKind(kind string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.res.Failed[kind]
}

func (w *walker) noteDrift(k *kind.Kind, parent string, res api.ListResult) {
	var note string
	switch {
	case res.Drift:
		note = fmt.Sprintf("%s %s: count was %d, listed %d objects", k.Name, parent, res.Count, res.Objects)
	case res.Duplicates > 0:
		note = fmt.Sprintf("%s %s: %d rows repeated across pages (the data changed while paging)", k.Name, parent, res.Duplicates)
	default:
		return
	}
	w.mu.Lock()
	w.res.Drift = append(w.res.Drift, note)
	w.mu.Unlock()
}
