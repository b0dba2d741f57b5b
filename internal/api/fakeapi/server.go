package fakeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// Sentinel errors of the fakeapi package.
var (
	// ErrInvalidOptions is returned by New when an option is out of range
	// (an unknown data set, a malformed API key, a route name the server
	// does not serve).
	ErrInvalidOptions = errors.New("invalid fake server options")
)

// Options configures a Server. Every zero value means the default written
// next to the field.
type Options struct {
	// Data is the initial data set: "demo" (the default) or "empty", where
	// the workspaces "acme" and "acme-stage" exist but hold nothing but
	// their owner.
	Data string
	// Items is the number of items per type in the demo data; 0 means the
	// demo's own numbers (60 clients, 90 contracts, 120 invoices in acme).
	Items int
	// Seed seeds the data generator and the fault decisions.
	Seed int64
	// Envelope answers lists as {"data": [...], "total": N} instead of
	// bare arrays.
	Envelope bool
	// Routes is the route table; nil means api.DefaultRoutes(). A route
	// missing from the table is not served.
	Routes api.Routes
	// MovedRoutes serves routes under another path, by route name
	// ("types.list": "/c-types"), like a server whose paths differ from
	// the contract's; the values are those of api.Routes.WithOverrides.
	MovedRoutes map[string]string
	// NoCount makes count endpoints answer 404, like a server without counts.
	NoCount bool
	// CountStatus, when not 0, makes count endpoints answer that status
	// with a NestJS error body: 400 plays a server without counts where an
	// assumed /items/count lands on /items/{id}, whose id check refuses
	// "count" (ParseIntPipe); 500 a count route that is broken. It wins
	// over NoCount.
	CountStatus int
	// NullEmptyLists answers an empty list page as JSON null (in the
	// envelope, "data": null), as a Go server marshals an empty slice:
	// empty collections, and the page after the last of a collection whose
	// size is a multiple of the page size.
	NullEmptyLists bool
	// CountAs spells counts and envelope totals: "" as JSON integers,
	// "string" as strings of digits ("3", what node-postgres answers for
	// COUNT(*), a bigint), "float" as numbers with a fraction (3.0).
	CountAs string
	// PastEnd is what a page past the last answers: "" an empty list,
	// "last-page" the last page again (a server that clamps the page
	// number), so the page after a full last page repeats it.
	PastEnd string
	// IgnorePaging ignores page and limit: every list answers everything,
	// so page 2 is the first page again.
	IgnorePaging bool
	// IgnorePage ignores page but honours limit: every page is the first.
	IgnorePage bool
	// PageCap honours "limit" only up to PageCap rows, like a server with a
	// smaller maximum than the contract's: a larger limit is served as
	// PageCap, and pages are cut at multiples of it (page p holds the rows
	// from (p-1)*PageCap). 0 means no cap below the contract's 100.
	PageCap int
	// ShortPage drops one row from one page of every collection, once per
	// collection (a kind in a workspace, under one parent) for the
	// server's lifetime: the first page asked for that is full and not the
	// last comes back without its last row. Asked again, it is whole. It
	// plays a row moving away while paging without the count changing.
	ShortPage bool
	// MaskSecrets answers integration secrets masked ("****" and their
	// last four characters) instead of leaving them out, and keeps as
	// secrets, besides token and api_key, the api_token, auth_token and
	// client_secret of providers the contract does not document: a server
	// that masks secrets rather than omitting them.
	MaskSecrets bool
	// APIKeys are the keys the server accepts; nil means one key,
	// DemoAPIKey, with every scope on every workspace.
	APIKeys []Key
	// ShuffleLists answers the lists whose order the API does not promise
	// in a new order on every request: a role's permissions, a group's
	// users, the assignees of quick tasks and tasks (in stages too), and
	// the rows of every list page (the same rows, in another order).
	ShuffleLists bool
	// Faults are the faults injected from the start; see SetFaults.
	Faults Faults
	// Now is the clock of records created at run time, request logs and
	// key expiry; nil means time.Now.
	Now func() time.Time
	// Sleep waits for injected latency; nil means a timer that gives up
	// when ctx ends. Tests inject a function that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// GenericKinds serves the kinds of the kind table that the fake has
	// no handlers of its own for (a kind added to the table, in a test)
	// from a generic store: list, count, get, create, update and delete
	// by the kind's route names, for workspace-level kinds. Their routes
	// must be in Routes.
	GenericKinds bool
	// MergeOnUpdate makes item updates follow the contract's merge variant
	// to the letter (section 6): keys absent from the body are kept, and a
	// key sent as null is removed from data, so answers leave it out.
	// Without it (and without ReplaceOnUpdate) updates merge too (the
	// contract tests rely on that), but
	// a null is stored and answered as "key": null, which the contract
	// calls the same value.
	MergeOnUpdate bool
	// ReplaceOnUpdate makes item updates follow the contract's replace
	// variant (section 6): the body's data becomes the item's data, keys
	// absent from it are gone, and, as on create, every required active
	// field must be in it. It wins over MergeOnUpdate.
	ReplaceOnUpdate bool
	// ClearRelationsOnTypeDelete makes deleting a type clear the values
	// of other types' relation fields that point at it (section 6: a
	// server may clear them or leave them dangling, as it does without
	// it).
	ClearRelationsOnTypeDelete bool
	// StrictFieldUpdate makes a field update validate its body as the
	// full FieldInput the contract documents: name, slug and type must be
	// present (400 "name should not be empty" otherwise). False accepts a
	// partial body, changing only the fields it holds.
	StrictFieldUpdate bool
	// CreateAnswer is what a successful create answers instead of the
	// created object, which is created all the same: "" (the object, 200),
	// "empty" (201 with no body), "array" (201 with a JSON array) or
	// "schema" (201 with an object without an id, like the seed page's
	// response schema {"type": "array", "items": {...}}).
	CreateAnswer string
	// RecordTimeline records when every request started and every
	// Retry-After window the server sent, for Timeline. The record grows
	// with every request: for tests, not for long runs.
	RecordTimeline bool
	// Logger receives one debug line per request (never the API key);
	// nil discards.
	Logger *slog.Logger
	// RequiredRelations makes the demo's relation field contracts.client
	// required (options.type clients, required: true), so that a contract
	// cannot be created or updated without its client: the server answers
	// 400 "data.client should not be empty", as for any required field.
	// False keeps the demo's figures (every relation field optional).
	RequiredRelations bool
	// RequiredCycle adds to RequiredRelations a required relation field
	// clients.main_contract (options.type contracts), whose value every
	// demo client has (an existing contract), so that the required
	// relations form a cycle: neither type's items can be created first
	// with all their required values. False keeps the demo's figures.
	RequiredCycle bool

	// Wire variants: answers a real server may give that the contract
	// neither promises nor rules out (see wire.go).
	//
	// ExtraFields adds to every object answered at the top level (a get,
	// a write's answer, each row of a list page) a read-only "revision"
	// the contract does not name, which changes with the object's id and
	// updated_at (an optimistic-lock token), and refuses a write body
	// that holds it with 400 "property revision should not exist", as a
	// NestJS server with forbidNonWhitelisted does.
	ExtraFields bool
	// WritableExtra gives every type a writable top-level "notes" the
	// contract does not name (a string, seeded on the demo types): a
	// create or update that sends it sets it, one that leaves it out
	// keeps it, and every answer holds it once set. It plays a real
	// server with fields beyond the contract that a restore must bring
	// back.
	WritableExtra bool
	// OmitNulls leaves out every member whose value is null, at any depth,
	// as a serializer that skips nulls does: the contract's "null or
	// absent" variant.
	OmitNulls bool
	// DeleteNoContent answers a successful DELETE with 204 and no body
	// instead of 200 {"success":true}.
	DeleteNoContent bool
	// Gzip compresses every answer with gzip (Content-Encoding: gzip)
	// when the request accepts it, as a proxy in front of a server does.
	Gzip bool
}

// Server is an in-memory Enspace API. It is an http.Handler; all its
// methods are safe for concurrent use.
type Server struct {
	opts   Options
	router *router
	log    *slog.Logger
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	seq    [numSeq]atomic.Int64

	mu         sync.RWMutex // guards workspaces
	workspaces []*Workspace

	usersMu      sync.RWMutex // guards users and usersByEmail; taken after a workspace lock
	users        map[int64]*user
	usersByEmail map[string]*user

	keys  map[string]*keyRec // by secret; immutable after New
	owner *user              // the owner of demo keys and of the demo workspaces

	logMu sync.Mutex // guards every keyRec.log

	faults   atomic.Pointer[Faults]
	counters counters
	timeline *timeline // nil unless Options.RecordTimeline
	// extra are the generic store's handlers (Options.GenericKinds).
	extra      map[string]handler
	genericSeq atomic.Int64
	// shorted holds the collections that had their short page
	// (Options.ShortPage).
	shorted sync.Map
}

// New builds a server with its initial data.
func New(opts Options) (*Server, error) {
	switch opts.Data {
	case "":
		opts.Data = "demo"
	case "demo", "empty":
	default:
		return nil, fmt.Errorf("%w: data %q: want demo or empty", ErrInvalidOptions, opts.Data)
	}
	if opts.Items < 0 {
		return nil, fmt.Errorf("%w: items %d: want 0 or more", ErrInvalidOptions, opts.Items)
	}
	if opts.CountStatus != 0 && (opts.CountStatus < 400 || opts.CountStatus > 599) {
		return nil, fmt.Errorf("%w: count status %d: want 0 or 400 to 599", ErrInvalidOptions, opts.CountStatus)
	}
	switch opts.PastEnd {
	case "", "empty", "last-page":
	default:
		return nil, fmt.Errorf("%w: past end %q: want empty or last-page", ErrInvalidOptions, opts.PastEnd)
	}
	switch opts.CountAs {
	case "", "string", "float":
	default:
		return nil, fmt.Errorf("%w: count as %q: want string or float", ErrInvalidOptions, opts.CountAs)
	}
	switch opts.CreateAnswer {
	case "", "empty", "array", "schema":
	default:
		return nil, fmt.Errorf("%w: create answer %q: want empty, array or schema", ErrInvalidOptions, opts.CreateAnswer)
	}
	if opts.PageCap < 0 {
		return nil, fmt.Errorf("%w: page cap %d: want 0 or more", ErrInvalidOptions, opts.PageCap)
	}
	if opts.Routes == nil {
		opts.Routes = api.DefaultRoutes()
	}
	moved, err := opts.Routes.WithOverrides(opts.MovedRoutes)
	if err != nil {
		return nil, fmt.Errorf("%w: moved routes: %w", ErrInvalidOptions, err)
	}
	opts.Routes = moved
	var extra map[string]handler
	if opts.GenericKinds {
		extra = genericHandlers()
	}
	rt, err := newRouter(opts.Routes, extra)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	s := &Server{
		opts:         opts,
		router:       rt,
		extra:        extra,
		log:          opts.Logger,
		now:          opts.Now,
		sleep:        opts.Sleep,
		users:        map[int64]*user{},
		usersByEmail: map[string]*user{},
	}
	if opts.RecordTimeline {
		s.timeline = &timeline{}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	for i := range s.seq {
		s.seq[i].Store(seqBase[i] - 1)
	}
	s.genericSeq.Store(900_000)
	s.counters.init()
	s.SetFaults(opts.Faults)
	g := newGenerator(s, opts.Seed, opts.Items)
	s.owner = g.owner()
	if err := s.setKeys(opts.APIKeys, g.epoch); err != nil {
		return nil, err
	}
	g.build(opts.Data == "demo")
	return s, nil
}

// Workspaces returns the slugs of the workspaces, oldest first.
func (s *Server) Workspaces() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.workspaces))
	for i, w := range s.workspaces {
		out[i] = w.slug
	}
	return out
}

// Workspace returns the workspace with the given slug or id, or nil.
func (s *Server) Workspace(slug string) *Workspace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, w := range s.workspaces {
		if w.slug == slug || w.id == slug {
			return w
		}
	}
	return nil
}

// addWorkspace registers w.
func (s *Server) addWorkspace(w *Workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces = append(s.workspaces, w)
}

// removeWorkspace forgets w.
func (s *Server) removeWorkspace(w *Workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.workspaces {
		if x == w {
			s.workspaces = append(s.workspaces[:i:i], s.workspaces[i+1:]...)
			return
		}
	}
}

// nowMS is the current time in unix milliseconds.
func (s *Server) nowMS() int64 { return s.now().UnixMilli() }

// sortedKeys returns the keys of a map in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
