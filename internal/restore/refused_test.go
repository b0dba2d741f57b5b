package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// refusingClient refuses every request with one status, as a server does
// a key it does not accept (401) or one without the write scope (403).
type refusingClient struct {
	status int
	calls  atomic.Int64
}

func (c *refusingClient) err() error {
	body := api.BodyUnauthorized
	if c.status == 403 {
		body = `{"statusCode":403,"error":"Forbidden","message":"Token lacks the write scope"}`
	}
	return api.ParseError(c.status, []byte(body))
}

func (c *refusingClient) Do(context.Context, string, string, map[string]string, any) (json.RawMessage, error) {
	c.calls.Add(1)
	return nil, c.err()
}

func (c *refusingClient) List(context.Context, *kind.Kind, string, api.Object, func([]api.Object) error) (api.ListResult, error) {
	c.calls.Add(1)
	return api.ListResult{}, c.err()
}

// A key the server refuses stops the apply at the first write: one
// request is sent, the step is failed, every other write is recorded as
// not sent, and Apply returns an AccessError (not ErrApplyFailed, whose
// remedy is to run it again).
func TestApplyStopsWhenTheKeyIsRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			p := &Plan{}
			for i := range 200 {
				p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(i), SourceID: fmt.Sprint(i),
					Action: Create, Level: i / 50, Body: json.RawMessage(`{"data":{"name":"x"}}`)})
			}
			p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: "900", SourceID: "900", TargetID: "900",
				Action: Skip, Level: 4})
			c := &refusingClient{status: status}
			e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 4}
			sum, err := e.Apply(context.Background(), p)
			if n := c.calls.Load(); n != 1 {
				t.Errorf("%d requests sent, want 1", n)
			}
			var ae *AccessError
			if !errors.As(err, &ae) || ae.Status != status || ae.NotSent != 199 || errors.Is(err, ErrApplyFailed) {
				t.Fatalf("err %v (%#v), want an AccessError %d with 199 not sent", err, ae, status)
			}
			if sum[StatusFailed] != 1 || sum[StatusNotSent] != 199 || sum[StatusSkipped] != 1 {
				t.Errorf("summary %v, want 1 failed, 199 not sent, 1 skipped", sum)
			}
			var b strings.Builder
			if err := WriteSummary(&b, sum); err != nil || b.String() != "Applied: 0 done, 1 failed, 0 manual, 1 already equal, 199 not sent\n" {
				t.Errorf("summary line %q", b.String())
			}
		})
	}
}

// slowRefusing refuses every request, slowly, so that requests sent
// concurrently would be seen.
type slowRefusing struct{ refusingClient }

func (c *slowRefusing) Do(context.Context, string, string, map[string]string, any) (json.RawMessage, error) {
	c.calls.Add(1)
	time.Sleep(50 * time.Millisecond)
	return nil, c.err()
}

// The level's first write is a create an earlier apply already made: it
// sends nothing, so it does not prove the key may write. The next create
// is the probe, sent alone: one request, not four.
func TestProbeIsARequestSentNotANoOpStep(t *testing.T) {
	p := &Plan{}
	for i := range 200 {
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(i), SourceID: fmt.Sprint(i),
			Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"x"}}`)})
	}
	ids := newMemIDs()
	ids.ids["items/0"] = "5000" // created by an earlier apply that stopped
	c := &slowRefusing{refusingClient{status: 403}}
	e := &Engine{Client: c, Workspace: "acme", IDs: ids, Concurrency: 4}
	sum, err := e.Apply(context.Background(), p)
	if n := c.calls.Load(); n != 1 {
		t.Errorf("%d requests sent, want 1 (sum %v, err %v)", n, sum, err)
	}
	var ae *AccessError
	if !errors.As(err, &ae) || ae.NotSent != 198 || sum[StatusDone] != 1 {
		t.Errorf("err %v (%#v), summary %v: want 1 done (the earlier create), 1 failed, 198 not sent", err, ae, sum)
	}
}

// noDeleteClient is a target whose key has the write scope but not the
// delete scope.
type noDeleteClient struct {
	*memClient
	deletes atomic.Int64
}

func (c *noDeleteClient) Do(ctx context.Context, route, ws string, params map[string]string, body any) (json.RawMessage, error) {
	if strings.HasSuffix(route, ".delete") {
		c.deletes.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil, api.ParseError(403, []byte(`{"statusCode":403,"error":"Forbidden","message":"Token lacks the delete scope"}`))
	}
	return c.memClient.Do(ctx, route, ws, params, body)
}

// A key with write but not delete scope (replicate --prune): the creates
// prove the write scope only; the first delete is a probe of its own,
// sent alone, and its refusal stops the others.
func TestFirstDeleteIsSentAloneAfterWrites(t *testing.T) {
	p := &Plan{}
	p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: "1", SourceID: "1",
		Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"x"}}`)})
	for i := range 50 {
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(900 + i), TargetID: fmt.Sprint(900 + i),
			Action: Delete, Level: 1})
	}
	c := &noDeleteClient{memClient: newMemClient()}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 4}
	sum, err := e.Apply(context.Background(), p)
	if n := c.deletes.Load(); n != 1 {
		t.Errorf("%d deletes sent, want 1 (sum %v, err %v)", n, sum, err)
	}
	var ae *AccessError
	if !errors.As(err, &ae) || ae.Scope != "delete" || ae.NotSent != 49 {
		t.Errorf("err %v (%#v), want an AccessError for the delete scope with 49 not sent", err, ae)
	}
}

// After the key is refused, no create of this level or a later one is
// marked pending: only the one sent may exist in the target.
func TestRefusedKeyMarksOnlyTheSentCreatePending(t *testing.T) {
	p := &Plan{}
	for i := range 200 {
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(i), SourceID: fmt.Sprint(i),
			Action: Create, Level: i / 50, Body: json.RawMessage(`{"data":{"name":"x"}}`)})
	}
	ids := newMemIDs()
	c := &refusingClient{status: 403}
	e := &Engine{Client: c, Workspace: "acme", IDs: ids, Concurrency: 4}
	sum, _ := e.Apply(context.Background(), p)
	if len(ids.marked) != 1 {
		t.Errorf("%d creates marked pending (%v), want 1 (the one sent); summary %v", len(ids.marked), ids.marked, sum)
	}
}

// Creates marked with their level, then kept from being sent by a
// refusal in the same level (a delete refused for its scope), have their
// marks taken back.
func TestCreatesNotSentAreUnmarked(t *testing.T) {
	p := &Plan{Steps: []*Step{{Kind: kind.Items, Parent: "contracts", Key: "1", SourceID: "1",
		Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"x"}}`)},
		{Kind: kind.Items, Parent: "contracts", Key: "900", TargetID: "900", Action: Delete, Level: 1}}}
	for i := range 3 {
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(10 + i), SourceID: fmt.Sprint(10 + i),
			Action: Create, Level: 1, Body: json.RawMessage(`{"data":{"name":"y"}}`)})
	}
	ids := newMemIDs()
	c := &noDeleteClient{memClient: newMemClient()}
	e := &Engine{Client: c, Workspace: "acme", IDs: ids, Concurrency: 1} // in order: the delete first
	sum, err := e.Apply(context.Background(), p)
	if sum[StatusNotSent] != 3 {
		t.Fatalf("summary %v (err %v), want the 3 creates not sent", sum, err)
	}
	if len(ids.marked) != 1 || ids.marked[0] != "items/1" {
		t.Errorf("marked pending: %v, want only items/1 (sent)", ids.marked)
	}
}

// The marks a refused apply leaves are read by the next one: an item
// never sent must not be looked up by content, where it would adopt an
// unrelated target item with the same content.
func TestRefusedApplyLeavesNoMarkOnCreatesNotSent(t *testing.T) {
	db, err := snapshot.Open(filepath.Join(t.TempDir(), "db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids, err := db.IDMap("prod", "acme")
	if err != nil {
		t.Fatal(err)
	}
	steps := func() []*Step {
		return []*Step{
			{Kind: kind.Items, Parent: "contracts", Key: "1", SourceID: "1", Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"a"}}`)},
			{Kind: kind.Items, Parent: "contracts", Key: "7", SourceID: "7", Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"x"}}`)},
			{Kind: kind.Items, Parent: "contracts", Key: "8", SourceID: "8", Action: Create, Level: 1, Body: json.RawMessage(`{"data":{"name":"x"}}`)},
		}
	}
	e := &Engine{Client: &refusingClient{status: 403}, Workspace: "acme", IDs: ids}
	if _, err := e.Apply(context.Background(), &Plan{Steps: steps()}); err == nil {
		t.Fatal("the refused apply succeeded")
	}

	again, err := db.IDMap("prod", "acme") // the next process
	if err != nil {
		t.Fatal(err)
	}
	if !again.Pending(kind.Items, "1") {
		t.Error("item 1 was sent: it must be looked up before it is sent again")
	}
	c := newMemClient()
	c.items["contracts"] = []map[string]any{{"id": 4242, "data": map[string]any{"name": "x"}}} // a person's item
	p := &Plan{Steps: steps()}
	for _, s := range p.Steps {
		s.Lookup = again.Pending(s.Kind, s.SourceID)
	}
	e = &Engine{Client: c, Workspace: "acme", IDs: again}
	if _, err := e.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps[1:] {
		if s.Result.TargetID == "4242" {
			t.Errorf("item %s adopted the person's item 4242 (%+v); it was never sent", s.Key, s.Result)
		}
	}
}

// forbiddingClient answers 403 for the creates of items named "secret",
// as a server does for one object a role's rules keep from the key.
type forbiddingClient struct{ *memClient }

func (c forbiddingClient) Do(ctx context.Context, route, ws string, params map[string]string, body any) (json.RawMessage, error) {
	if b, _ := json.Marshal(body); route == "items.create" && strings.Contains(string(b), `"secret"`) {
		return nil, api.ParseError(403, []byte(`{"statusCode":403,"error":"Forbidden","message":"Forbidden resource"}`))
	}
	return c.memClient.Do(ctx, route, ws, params, body)
}

// A 403 that names neither the workspace nor a scope, once the key has
// written, refuses one object: that step fails, the others are sent.
func TestForbiddenObjectFailsOnlyItsStep(t *testing.T) {
	p := &Plan{}
	for i := range 10 {
		name := "x"
		if i == 5 {
			name = "secret"
		}
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(i), SourceID: fmt.Sprint(i),
			Action: Create, Level: i / 3, Body: json.RawMessage(fmt.Sprintf(`{"data":{"name":%q}}`, name))})
	}
	c := forbiddingClient{newMemClient()}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 4}
	sum, err := e.Apply(context.Background(), p)
	var ae *AccessError
	if errors.As(err, &ae) || !errors.Is(err, ErrApplyFailed) {
		t.Errorf("err %v, want ErrApplyFailed (one step failed), not an AccessError", err)
	}
	if sum[StatusDone] != 9 || sum[StatusFailed] != 1 {
		t.Errorf("summary %v, want 9 done and 1 failed", sum)
	}
	if n := len(c.items["contracts"]); n != 9 {
		t.Errorf("%d items created, want 9", n)
	}
}

// A group's membership update removes users with DELETE: refused there,
// the key is said to lack the delete scope, the one the request needs,
// though the step is an update and the server named no scope.
func TestRefusedScopeIsTheRequestMethods(t *testing.T) {
	p := &Plan{Steps: []*Step{{Kind: KindGroupUsers, Key: "sales", SourceID: "3", TargetID: "30", Action: Update,
		Body: json.RawMessage(`{"remove":["9"]}`)}}}
	c := &forbidAll{body: `{"statusCode":403,"error":"Forbidden","message":"Forbidden resource"}`}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs()}
	_, err := e.Apply(context.Background(), p)
	var ae *AccessError
	if !errors.As(err, &ae) || ae.Scope != "delete" || c.routes != "groups.users.remove " {
		t.Errorf("err %v (%#v), sent %q: want an AccessError for the delete scope after one groups.users.remove", err, ae, c.routes)
	}
}

// forbidAll answers every request with a 403 of the given body.
type forbidAll struct {
	mu     sync.Mutex
	body   string
	routes string
}

func (c *forbidAll) Do(_ context.Context, route, _ string, _ map[string]string, _ any) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes += route + " "
	return nil, api.ParseError(403, []byte(c.body))
}

func (c *forbidAll) List(context.Context, *kind.Kind, string, api.Object, func([]api.Object) error) (api.ListResult, error) {
	return api.ListResult{}, api.ParseError(403, []byte(c.body))
}

// tooManyThenRefusing answers the first request with a 429 (a proxy
// may, before the server sees the key), then refuses the key.
type tooManyThenRefusing struct{ slowRefusing }

func (c *tooManyThenRefusing) Do(ctx context.Context, a, b string, m map[string]string, x any) (json.RawMessage, error) {
	if c.calls.Add(1) == 1 {
		return nil, api.ParseError(429, []byte(`{"statusCode":429,"error":"Too Many Requests"}`))
	}
	time.Sleep(50 * time.Millisecond)
	return nil, c.err()
}

// List finds nothing: the lost create was not made.
func (c *tooManyThenRefusing) List(context.Context, *kind.Kind, string, api.Object, func([]api.Object) error) (api.ListResult, error) {
	return api.ListResult{}, nil
}

// A 429 does not prove the key may write: the next create is sent alone
// too, and its refusal stops the others.
func TestTooManyRequestsIsNoProofOfTheScope(t *testing.T) {
	p := &Plan{}
	for i := range 50 {
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(i), SourceID: fmt.Sprint(i),
			Action: Create, Level: 0, Body: json.RawMessage(`{"data":{"name":"x"}}`)})
	}
	c := &tooManyThenRefusing{slowRefusing{refusingClient{status: 403}}}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 4}
	sum, err := e.Apply(context.Background(), p)
	if n := c.calls.Load(); n != 2 {
		t.Errorf("%d requests sent, want 2 (sum %v, err %v)", n, sum, err)
	}
}

// slowDeletes answers deletes slowly and counts how many are in flight.
type slowDeletes struct {
	*memClient
	mu             sync.Mutex
	inFlight, most int
}

func (c *slowDeletes) Do(ctx context.Context, route, ws string, params map[string]string, body any) (json.RawMessage, error) {
	if !strings.HasSuffix(route, ".delete") {
		return c.memClient.Do(ctx, route, ws, params, body)
	}
	c.mu.Lock()
	c.inFlight++
	c.most = max(c.most, c.inFlight)
	c.mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	c.mu.Lock()
	c.inFlight--
	c.mu.Unlock()
	return nil, nil
}

// Once the first delete is answered, the deletes that waited for it go
// out concurrently, not one at a time.
func TestDeletesGoOutConcurrentlyOnceProven(t *testing.T) {
	p := &Plan{}
	for i := range 5 { // the first alone, then the other four at once
		p.Steps = append(p.Steps, &Step{Kind: kind.Items, Parent: "contracts", Key: fmt.Sprint(900 + i), TargetID: fmt.Sprint(900 + i),
			Action: Delete})
	}
	c := &slowDeletes{memClient: newMemClient()}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 4}
	if _, err := e.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if c.most != 4 {
		t.Errorf("at most %d deletes in flight, want 4", c.most)
	}
}
