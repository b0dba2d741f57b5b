package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// memClient is a target workspace in memory that answers creates of types
// and items; it can apply a create and lose its answer.
type memClient struct {
	mu     sync.Mutex
	next   int
	items  map[string][]map[string]any // type slug -> items
	types  []map[string]any
	loseN  map[string]int // route -> answers still to lose
	refuse map[string]string
	sent   map[string]int
}

func newMemClient() *memClient {
	return &memClient{next: 100, items: map[string][]map[string]any{}, loseN: map[string]int{},
		refuse: map[string]string{}, sent: map[string]int{}}
}

func (c *memClient) Do(_ context.Context, route, _ string, params map[string]string, body any) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[route]++
	if msg, ok := c.refuse[route]; ok {
		return nil, &api.Error{StatusCode: 400, Messages: []string{msg}}
	}
	m := map[string]any{}
	raw, _ := json.Marshal(body)
	_ = json.Unmarshal(raw, &m)
	c.next++
	m["id"] = c.next
	switch route {
	case "types.create":
		c.types = append(c.types, m)
	case "items.create":
		c.items[params["type"]] = append(c.items[params["type"]], m)
	case "items.update":
		for _, it := range c.items[params["type"]] {
			if fmt.Sprint(it["id"]) == params["id"] {
				for k, v := range m["data"].(map[string]any) {
					it["data"].(map[string]any)[k] = v
				}
				return json.Marshal(it)
			}
		}
		return nil, &api.Error{StatusCode: 404}
	case "fields.update":
		m["id"] = params["id"] // answers what it was sent
	default:
		return nil, fmt.Errorf("memClient: route %s", route)
	}
	if c.loseN[route] > 0 {
		c.loseN[route]--
		return nil, errors.New("read: connection reset by peer")
	}
	return json.Marshal(m)
}

func (c *memClient) List(_ context.Context, k *kind.Kind, _ string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error) {
	c.mu.Lock()
	var list []map[string]any
	if k.Name == kind.Types {
		list = c.types
	} else {
		list = c.items[parent.Key]
	}
	var objs []api.Object
	for _, m := range list {
		raw, _ := json.Marshal(m)
		o, err := api.NewObject(k, parent.Key, raw)
		if err != nil {
			c.mu.Unlock()
			return api.ListResult{}, err
		}
		objs = append(objs, o)
	}
	c.mu.Unlock()
	return api.ListResult{}, fn(objs)
}

func planFor(t *testing.T, source, target *Set, ids *memIDs) *Plan {
	t.Helper()
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyLostAnswersCreateNothingTwice(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"A"}`), item(1002, "clients", `{"name":"B"}`))
	cl := newMemClient()
	cl.loseN["items.create"] = 2
	cl.loseN["types.create"] = 1
	ids := newMemIDs()
	p := planFor(t, source, NewSet(), ids)
	e := &Engine{Client: cl, Workspace: "acme", IDs: ids}
	sum, err := e.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v (%s)", err, dump(p))
	}
	if sum[StatusDone] != 3 {
		t.Errorf("done %d, want 3: %v", sum[StatusDone], sum)
	}
	if len(cl.types) != 1 || len(cl.items["clients"]) != 2 {
		t.Fatalf("target has %d types and %d items, want 1 and 2 (lost answers must not duplicate)", len(cl.types), len(cl.items["clients"]))
	}
	if cl.sent["items.create"] != 2 {
		t.Errorf("items.create sent %d times, want 2 (found after the lost answers, not re-sent)", cl.sent["items.create"])
	}
	for _, s := range p.Steps {
		if s.Kind == kind.Items && !strings.Contains(s.Result.Note, "after a lost answer") {
			t.Errorf("item %s note %q", s.Key, s.Result.Note)
		}
	}
	// A pending mark left by a process that died makes the next apply look first.
	delete(ids.ids, "items/1001")
	ids.pending["items/1001"] = true
	target := NewSet()
	for _, tp := range cl.types {
		raw, _ := json.Marshal(tp)
		_ = target.Put("types", "", "clients", raw)
	}
	for _, it := range cl.items["clients"] {
		raw, _ := json.Marshal(it)
		_ = target.Put("items", "clients", fmt.Sprint(it["id"]), raw)
	}
	p = planFor(t, source, target, ids)
	if s := stepFor(t, p, "items", "1001"); s.Action != Create || !s.Lookup {
		t.Fatalf("pending item planned %s lookup=%v", s.Action, s.Lookup)
	}
	if _, err := e.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(cl.items["clients"]) != 2 {
		t.Errorf("after resuming a pending create: %d items, want 2", len(cl.items["clients"]))
	}
}

func TestApplyRecordsFailuresAndGoesOn(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"A"}`), item(1002, "clients", `{"name":"B"}`))
	cl := newMemClient()
	cl.refuse["items.create"] = "name must be unique"
	ids := newMemIDs()
	p := planFor(t, source, NewSet(), ids)
	sum, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids}).Apply(context.Background(), p)
	if !errors.Is(err, ErrApplyFailed) {
		t.Fatalf("err = %v, want ErrApplyFailed", err)
	}
	if sum[StatusDone] != 1 || sum[StatusFailed] != 2 {
		t.Errorf("summary %v, want 1 done and 2 failed", sum)
	}
	s := stepFor(t, p, "items", "1001")
	if s.Result.Status != StatusFailed || !strings.Contains(s.Result.Error, "name must be unique") {
		t.Errorf("result %+v", s.Result)
	}
	if cl.sent["items.create"] != 2 {
		t.Errorf("a refused create was sent %d times, want once each", cl.sent["items.create"])
	}
}

func TestRekeyPairsRecreatedObjects(t *testing.T) {
	changes := []Change{
		{Kind: "fields", Parent: "contracts", Key: "25", Old: []byte(`{"id":25,"slug":"number","name":"N"}`)},
		{Kind: "fields", Parent: "contracts", Key: "90", New: []byte(`{"id":90,"slug":"number","name":"N"}`)},
		{Kind: "items", Parent: "contracts", Key: "1061", Old: []byte(`{"id":1061,"data":{"n":1}}`)},
		{Kind: "items", Parent: "contracts", Key: "2000", New: []byte(`{"id":2000,"data":{"n":1}}`)},
		{Kind: "items", Parent: "invoices", Key: "1151", Old: []byte(`{"id":1151,"data":{"contract":1061,"amount":5}}`),
			New: []byte(`{"id":1151,"data":{"contract":2000,"amount":6}}`)},
		{Kind: "items", Parent: "clients", Key: "7", Old: []byte(`{"id":7,"data":{}}`)},
	}
	ids := func(name, id string) (string, bool) {
		if name == kind.Items && id == "1061" {
			return "2000", true
		}
		return "", false
	}
	got := map[string]string{}
	for _, c := range Rekey(changes, ids) {
		got[c.Kind+"/"+c.Key] = fmt.Sprintf("%s -> %s", c.Old, c.New)
	}
	want := map[string]string{
		"fields/90":  `{"id":25,"slug":"number","name":"N"} -> {"id":90,"slug":"number","name":"N"}`,
		"items/2000": `{"id":1061,"data":{"n":1}} -> {"id":2000,"data":{"n":1}}`,
		"items/1151": `{"data":{"amount":5,"contract":2000},"id":1151} -> {"id":1151,"data":{"contract":2000,"amount":6}}`,
		"items/7":    `{"id":7,"data":{}} -> `,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d changes, want %d: %v", len(got), len(want), got)
	}
}

// Two source items with the same content, both left pending by a process
// that died, while the target holds one copy: one of them takes it, the
// other is created. Neither leaves the other's copy orphaned.
func TestApplyPendingTwinsShareNothing(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"Same"}`), item(1002, "clients", `{"name":"Same"}`))
	cl := newMemClient()
	cl.types = append(cl.types, map[string]any{"id": 50, "name": "Clients", "slug": "clients", "description": "", "icon": "users", "color": "#000", "settings": map[string]any{}})
	cl.items["clients"] = []map[string]any{{"id": 60, "type": "clients", "data": map[string]any{"name": "Same"}}}
	ids := newMemIDs()
	ids.pending["items/1001"], ids.pending["items/1002"] = true, true
	target := setOf(t, [4]string{"types", "", "clients", `{"id":50,"name":"Clients","slug":"clients","description":"","icon":"users","color":"#000","settings":{}}`},
		item(60, "clients", `{"name":"Same"}`))
	p := planFor(t, source, target, ids)
	if _, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids, Concurrency: 2}).Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	a, _ := ids.Target("items", "1001")
	b, _ := ids.Target("items", "1002")
	if a == "" || b == "" || a == b {
		t.Fatalf("twins mapped to %q and %q, want two different items", a, b)
	}
	if n := len(cl.items["clients"]); n != 2 {
		t.Errorf("target holds %d items, want 2", n)
	}
}
