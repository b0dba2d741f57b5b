package restore

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// routeClient refuses a field beyond the contract on one route only (a
// NestJS server whose update DTO lacks a field its create DTO has) and
// records the bodies sent on each route.
type routeClient struct {
	strictClient
	route  string
	mu     sync.Mutex
	routes []string
}

func (c *routeClient) Do(ctx context.Context, route, ws string, params map[string]string, body any) (json.RawMessage, error) {
	c.mu.Lock()
	c.routes = append(c.routes, route)
	c.mu.Unlock()
	if route != c.route {
		m, _ := body.(map[string]any)
		cp := map[string]any{}
		for k, v := range m {
			cp[k] = v
		}
		c.strictClient.mu.Lock()
		c.bodies = append(c.bodies, cp)
		c.strictClient.mu.Unlock()
		cp["id"] = 200
		raw, _ := json.Marshal(cp)
		return raw, nil
	}
	return c.strictClient.Do(ctx, route, ws, params, body)
}

// A field the server refuses on a kind's updates is not left out of the
// kind's creates, which take it: a create that left it out would lose it
// for good (it is beyond the contract, so never compared, and no later
// restore writes it).
func TestRefusedOnUpdateStillCreated(t *testing.T) {
	c := &routeClient{strictClient: strictClient{refuse: []string{"notes"}}, route: "types.update"}
	p := &Plan{Operation: "restore", Target: "acme", Steps: []*Step{
		{Kind: kind.Types, Key: "t0", SourceID: "1", TargetID: "50", Action: Update,
			Body: marshalRaw(map[string]any{"name": "T0", "slug": "t0", "notes": "n t0"})},
		{Kind: kind.Types, Key: "t1", SourceID: "2", Action: Create,
			Body: marshalRaw(map[string]any{"name": "T1", "slug": "t1", "notes": "n t1"})},
	}}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 1}
	if sum, err := e.Apply(context.Background(), p); err != nil || sum[StatusDone] != 2 {
		t.Fatalf("apply: %v %v\n%s", sum, err, dump(p))
	}
	created := false
	for i, r := range c.routes {
		if r != "types.create" {
			continue
		}
		created = true
		if c.bodies[i]["notes"] != "n t1" {
			t.Errorf("the create left out notes, which only updates refuse: %v", c.bodies[i])
		}
	}
	if !created {
		t.Fatalf("no create sent: %v", c.routes)
	}
}
