package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Client is what the engine needs of the API client.
type Client interface {
	Do(ctx context.Context, route, workspace string, params map[string]string, body any) (json.RawMessage, error)
	List(ctx context.Context, k *kind.Kind, workspace string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error)
}

// IDMap is the id map as the engine writes it (*snapshot.IDMap): creates
// are marked pending durably before they are sent, new ids are recorded
// at once and written in batches, at the latest by Flush.
type IDMap interface {
	IDs
	Source(kind, targetID string) (string, bool)
	MarkPending(kind string, sourceIDs ...string) error
	// Unmark takes back the marks this process set on creates it did not
	// send; a mark an earlier process left, or an entry recorded since,
	// stays.
	Unmark(kind string, sourceIDs ...string) error
	Put(kind, sourceID, targetID string) error
	Flush() error
}

// Engine applies plans to one target workspace.
type Engine struct {
	Client    Client
	Workspace string // the target's en-workspace value
	IDs       IDMap
	Secrets   Secrets
	// Concurrency is how many steps of one level run at once; 0 means 4.
	Concurrency int
	Log         *slog.Logger
	// Progress, if set, is called after each step with the steps done so
	// far and the number of steps that write.
	Progress func(done, total int)

	plan     *Plan
	mu       sync.Mutex
	done     int
	total    int
	matched  map[string]string      // kind \x00 source id -> target id, from the plan
	taken    map[string]string      // kind \x00 target id -> source id, the plan's matches and refs
	reserved map[string]string      // kind \x00 target id -> source id, found by a lookup in this apply
	idTypes  map[string]string      // kind -> JSON type of the target's ids (Plan.IDTypes, then create answers)
	proven   map[string]bool        // scope -> a request needing it was answered without a refusal
	gates    map[string]*sync.Mutex // scope -> held by the one request of a scope not yet proven
	stale    map[string]string      // Plan.Stale: kind/source id -> the gone target id
	refused  *AccessError           // the server refused the key: nothing more is sent
	// refusedFields are, by kind, the top-level fields beyond the contract
	// the server refused on a write of this apply (see sendWrite), and
	// refusedRoutes the same by route: the later writes of a route leave
	// them out.
	refusedFields map[string][]string
	refusedRoutes map[string][]string
	attempts      int // create attempts after a lost answer; 0 means 3
}

// Summary counts the results of an apply by status.
type Summary map[string]int

// ErrApplyFailed is returned by Apply when some steps failed; their
// Result says why.
var ErrApplyFailed = errors.New("some steps failed")

// AccessError is returned by Apply when the server refused the API key
// (401) or its scope (403): the step that was refused failed, and the
// writes after it were not sent (StatusNotSent). Sending them again with
// the same key cannot succeed.
type AccessError struct {
	Status  int    // 401 or 403
	Action  Action // the refused step's action
	Scope   string // the scope the key lacks: named by the server, or needed by the refused request's method; "" when not known
	NotSent int    // the writes left unsent
	Err     error  // the refused request's error
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("the API key was refused (%d) on a %s: %v", e.Status, e.Action, e.Err)
}

func (e *AccessError) Unwrap() error { return e.Err }

// Apply runs the plan's steps level by level and records each step's
// Result. It stops early only when ctx ends or the id map cannot be
// written; a step that fails is recorded and the others go on. A key the
// server refuses (a 401; a 403 for the workspace or a scope, or on the
// first request of a scope) stops the writes: until a write (POST, PUT)
// and a delete have each been answered without a refusal, such requests
// go out one at a time, so a key that may not write costs one request,
// and every write after a refusal is recorded as not sent (AccessError).
// Creates are marked pending only once they will be sent, and the marks
// of creates a refusal kept from being sent are taken back: the next
// apply does not look them up by content.
func (e *Engine) Apply(ctx context.Context, p *Plan) (Summary, error) {
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	conc := e.Concurrency
	if conc <= 0 {
		conc = 4
	}
	e.plan, e.matched, e.total, e.done = p, map[string]string{}, p.Writes(), 0
	e.refused, e.refusedFields, e.refusedRoutes = nil, nil, nil
	e.proven, e.gates = map[string]bool{}, map[string]*sync.Mutex{}
	for _, s := range p.Steps {
		s.sent = false
	}
	e.stale = p.Stale
	e.idTypes = maps.Clone(p.IDTypes)
	if e.idTypes == nil {
		e.idTypes = map[string]string{}
	}
	// taken: the target objects the plan gave a source object (matched by
	// id map, same id or a natural key that names one object, or standing
	// for a reference), which a lookup by content never gives to another.
	// An integration's natural key is its provider, shared by all of that
	// provider's integrations: a create resumed after a kill may find its
	// own object matched by provider to another source integration.
	e.taken = map[string]string{}
	for _, s := range p.Steps {
		if s.TargetID != "" && s.SourceID != "" && s.Kind != KindPermissions && s.Kind != KindGroupUsers {
			e.matched[s.Kind+"\x00"+s.SourceID] = s.TargetID
			if s.Match == "id map" || s.Match == "same id" || s.Kind != string(kind.Integrations) {
				e.taken[s.Kind+"\x00"+s.TargetID] = s.SourceID
			}
		}
	}
	for ref, tid := range p.Refs {
		if k, sid, ok := strings.Cut(ref, "/"); ok && tid != "" {
			if _, dup := e.taken[k+"\x00"+tid]; !dup {
				e.taken[k+"\x00"+tid] = sid
			}
		}
	}
	defer func() { p.RefusedFields = e.refusedSoFar() }()
	for i := 0; i < len(p.Steps); {
		j := i
		for j < len(p.Steps) && p.Steps[j].Level == p.Steps[i].Level {
			j++
		}
		level, marked, err := e.probe(ctx, p.Steps[i:j])
		if err == nil && !e.isRefused() {
			var m []*Step
			if m, err = e.markCreates(level); err == nil {
				marked = append(marked, m...)
			}
		}
		if err == nil {
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(conc)
			for _, s := range level {
				g.Go(func() error { return e.apply(gctx, s) })
			}
			err = g.Wait()
		}
		if ferr := e.flush(); err == nil {
			err = ferr
		}
		if uerr := e.unmarkNotSent(marked); err == nil {
			err = uerr
		}
		if err != nil {
			return e.summary(), err
		}
		if err := ctx.Err(); err != nil {
			return e.summary(), err
		}
		i = j
	}
	sum := e.summary()
	if e.refused != nil {
		e.refused.NotSent = sum[StatusNotSent]
		return sum, e.refused
	}
	if sum[StatusFailed] > 0 {
		return sum, fmt.Errorf("%w: %d of %d", ErrApplyFailed, sum[StatusFailed], len(p.Steps))
	}
	return sum, nil
}

// probe runs the steps of a level that may write (creates, updates) one
// at a time, each create marked pending just before it, until a write is
// answered without a refusal or the key is refused. It returns the
// level's other steps, and the steps it marked.
func (e *Engine) probe(ctx context.Context, level []*Step) (rest, marked []*Step, err error) {
	rest = level
	for !e.isProven(scopeWrite) && !e.isRefused() {
		w := slices.IndexFunc(rest, func(s *Step) bool { return s.Action == Create || s.Action == Update })
		if w < 0 {
			break
		}
		s := rest[w]
		rest = append(append([]*Step{}, rest[:w]...), rest[w+1:]...)
		m, err := e.markCreates([]*Step{s})
		marked = append(marked, m...)
		if err != nil {
			return rest, marked, err
		}
		if err := e.apply(ctx, s); err != nil {
			return rest, marked, err
		}
	}
	return rest, marked, nil
}

// markCreates marks the creates of steps pending, in one write per kind,
// before any of them is sent, and returns the steps it marked.
func (e *Engine) markCreates(steps []*Step) ([]*Step, error) {
	if e.IDs == nil {
		return nil, nil
	}
	byKind := map[string][]string{}
	var marked []*Step
	for _, s := range steps {
		if s.Action == Create && s.SourceID != "" && s.Kind != KindPermissions && s.Kind != KindGroupUsers {
			if _, ok := e.mapped(s.Kind, s.SourceID); ok {
				continue // created by an earlier apply: not sent
			}
			byKind[s.Kind] = append(byKind[s.Kind], s.SourceID)
			marked = append(marked, s)
		}
	}
	for kind, ids := range byKind {
		if err := e.IDs.MarkPending(kind, ids...); err != nil {
			return marked, err
		}
	}
	return marked, nil
}

// unmarkNotSent takes back the pending marks of marked creates that sent
// nothing (a refusal came first, or the step failed before its request):
// only a create that may have reached the server is looked up by content
// on the next apply.
func (e *Engine) unmarkNotSent(marked []*Step) error {
	byKind := map[string][]string{}
	for _, s := range marked {
		if !s.sent && (s.Result == nil || s.Result.Status != StatusDone) {
			byKind[s.Kind] = append(byKind[s.Kind], s.SourceID)
		}
	}
	for kind, ids := range byKind {
		if err := e.IDs.Unmark(kind, ids...); err != nil {
			return err
		}
	}
	return nil
}

// flush makes the ids recorded so far durable.
func (e *Engine) flush() error {
	if e.IDs == nil {
		return nil
	}
	return e.IDs.Flush()
}

func (e *Engine) summary() Summary {
	out := Summary{}
	for _, s := range e.plan.Steps {
		if s.Result != nil {
			out[s.Result.Status]++
		}
	}
	return out
}

// apply runs one step. Only a fatal error is returned (the id map cannot
// be written, ctx ended); a failed step is recorded in its Result.
func (e *Engine) apply(ctx context.Context, s *Step) error {
	var err error
	switch s.Action {
	case Skip:
		s.Result = &Result{Status: StatusSkipped, TargetID: s.TargetID}
		err = e.remember(s)
	case Manual:
		s.Result = &Result{Status: StatusManual}
	default:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.isRefused() {
			s.Result = &Result{Status: StatusNotSent, Error: errNotSent.Error()}
			return nil
		}
		err = reportLeft(s, e.write(ctx, s))
		if errors.Is(err, errNotSent) && !s.sent {
			s.Result = &Result{Status: StatusNotSent, Error: errNotSent.Error()}
			return nil
		}
		if status, scope, ok := keyRefused(err); ok {
			e.refuse(s, status, scope, err) // a read (a lookup's list) refused for the key
		}
		if err == nil && s.Phase == PhaseRequire {
			e.noteFailedBefore(s)
		}
		e.mu.Lock()
		e.done++
		done := e.done
		e.mu.Unlock()
		if e.Progress != nil {
			e.Progress(done, e.total)
		}
	}
	var fatal *fatalError
	if errors.As(err, &fatal) {
		return fatal.err
	}
	if err != nil {
		if ctx.Err() != nil {
			s.Result = &Result{Status: StatusFailed, Error: cutOff(ctx)}
			return ctx.Err()
		}
		s.Result = &Result{Status: StatusFailed, Error: err.Error()}
		e.Log.Warn("step failed", "kind", s.Kind, "key", s.Key, "action", s.Action, "err", err)
	}
	return nil
}

// cutOff says why a step whose request ctx ended was not answered: the
// caller's cancellation (Ctrl-C) interrupted it, or a sibling step's
// fatal error (the cause of the level's context) stopped the apply.
func cutOff(ctx context.Context) string {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, context.Canceled) {
		return "interrupted before the server answered"
	}
	return "not answered: the apply stopped: " + cause.Error()
}

// noteFailedBefore says in a require step's Result that it set required
// back although earlier steps failed: the workspace is never left with
// the field relaxed, and a later apply relaxes it again if it must.
func (e *Engine) noteFailedBefore(s *Step) {
	failed := 0
	for _, x := range e.plan.Steps {
		if x.Level < s.Level && x.Result != nil && x.Result.Status == StatusFailed {
			failed++
		}
	}
	if failed > 0 && s.Result != nil {
		s.Result.Note = joinNote(s.Result.Note, fmt.Sprintf("set back although %d earlier steps failed: the field is not left relaxed", failed))
	}
}

// fatalError stops the whole apply.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }

// remember records a match found while planning in the id map, so that
// later plans match by id even if the natural key changes.
func (e *Engine) remember(s *Step) error {
	if s.TargetID == "" || s.SourceID == "" || s.Match == "id map" || s.Match == "same id" ||
		s.Kind == KindPermissions || s.Kind == KindGroupUsers || e.IDs == nil {
		return nil
	}
	if err := e.IDs.Put(s.Kind, s.SourceID, s.TargetID); err != nil {
		return &fatalError{err}
	}
	return nil
}

// write runs a step that changes the target.
func (e *Engine) write(ctx context.Context, s *Step) error {
	switch s.Kind {
	case KindPermissions:
		return e.writePermissions(ctx, s)
	case KindGroupUsers:
		return e.writeGroupUsers(ctx, s)
	}
	k, err := kind.ByName(s.Kind)
	if err != nil {
		return err
	}
	switch s.Action {
	case Create:
		return e.create(ctx, k, s)
	case Update:
		return e.update(ctx, k, s)
	case Delete:
		return e.remove(ctx, k, s)
	}
	return fmt.Errorf("unknown action %q", s.Action)
}

// target returns the target id that stands for the source object: the
// plan's own match or resolved reference first (the target had that
// object when the plan was made), then the id map, whose entries written
// by this apply (or by an earlier one stopped after the plan was made)
// name the objects created since.
func (e *Engine) target(kind, sourceID string) (string, bool) {
	if id, ok := e.matched[kind+"\x00"+sourceID]; ok {
		return id, true
	}
	if id, ok := e.plan.Refs[kind+"/"+sourceID]; ok {
		return id, true
	}
	return e.mapped(kind, sourceID)
}

// mapped returns the id map's entry for the source object, unless it is
// one the plan found stale (its target object was gone) and it was not
// written again since.
func (e *Engine) mapped(kind, sourceID string) (string, bool) {
	if e.IDs == nil {
		return "", false
	}
	id, ok := e.IDs.Target(kind, sourceID)
	if !ok || e.stale[kind+"/"+sourceID] == id {
		return "", false
	}
	return id, true
}

// idValue returns the JSON value that names the target object id of kind
// in a request: of the type the target gives that kind's ids, or, when
// the target's type is not known, of the source's value src.
func (e *Engine) idValue(kind, id string, src any) any {
	e.mu.Lock()
	typ := e.idTypes[kind]
	e.mu.Unlock()
	return idValue(id, typ, src)
}

// learnIDType records the JSON type of the id in a created object's
// answer, for a kind whose ids the plan did not see in the target.
func (e *Engine) learnIDType(k *kind.Kind, raw json.RawMessage) {
	e.mu.Lock()
	_, known := e.idTypes[k.Name]
	e.mu.Unlock()
	if known || k.IDField == "" {
		return
	}
	if t := idTypeOf(decodeFields(raw)[k.IDField]); t != "" {
		e.mu.Lock()
		e.idTypes[k.Name] = t
		e.mu.Unlock()
	}
}

// params returns the route parameters of a step's object.
func (e *Engine) params(k *kind.Kind, s *Step, targetID string) map[string]string {
	p := map[string]string{}
	if k.Parent != "" {
		parent := s.TargetParent
		if parent == "" {
			parent = s.Parent // a type created by the plan keeps its slug
		}
		p[k.ParentParam] = parent
	}
	if targetID != "" {
		p["id"] = targetID
		if k.Name == kind.Types {
			key := s.TargetKey
			if key == "" {
				key = s.Key
			}
			p["type"] = key
		}
	}
	return p
}

// translate returns a step's body with references turned into target ids.
// A reference the target lacks is dropped from a list or set to null.
func (e *Engine) translate(k *kind.Kind, s *Step) (map[string]any, error) {
	v, err := decodeRaw(s.Body)
	if err != nil {
		return nil, fmt.Errorf("step body: %w", err)
	}
	body, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("step body is not an object")
	}
	if carriesRelations(k, s) {
		if err := e.translateRelations(k, s, body); err != nil {
			return nil, err
		}
	}
	for _, r := range idRefs(k) {
		visitPath(body, r.Path, func(_ string, val any) (any, bool) {
			return e.translateValue(r.Kind, val)
		})
	}
	return body, nil
}

// translateValue translates a reference value through the id map: a list
// keeps the elements the map knows; a single id is dropped (false) when the
// map does not know it.
func (e *Engine) translateValue(kind string, val any) (any, bool) {
	nv, lacking := e.translateAll(kind, val)
	if _, isList := val.([]any); isList {
		return nv, true
	}
	return nv, len(lacking) == 0
}

// ambiguous reports whether a failed write may still have been applied:
// the answer was lost (transport error, timeout, body cut short) or the
// server failed after perhaps acting (5xx, or 408 from a proxy that gave
// up waiting).
func ambiguous(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusRequestTimeout
	}
	return true
}

// addSecrets puts the configured secrets of an integration into its body.
func (e *Engine) addSecrets(s *Step, body map[string]any) error {
	if len(s.Secrets) == 0 {
		return nil
	}
	data, _ := body["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
		body["data"] = data
	}
	for _, name := range s.Secrets {
		prov, key, _ := strings.Cut(name, ".")
		if e.Secrets == nil {
			return fmt.Errorf("secret %s: no secrets configured for the target", name)
		}
		v, ok := e.Secrets.Value(prov, key)
		if !ok {
			return fmt.Errorf("secret %s is no longer in the configuration", name)
		}
		// A key the server masked inside an object or list of the data
		// is named by its path (kind.MaskedKeys): "credentials.client_secret",
		// a dot inside a key escaped ("smtp\.password"). SetPath writes
		// exactly where the masked value was, or nowhere.
		if !kind.SetPath(data, key, v) {
			return fmt.Errorf("secret %s: the integration's data has no place for it (a dot inside a key is written \\.)", name)
		}
	}
	return nil
}
