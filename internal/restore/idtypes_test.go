package restore

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// echoClient encodes each body as the API client does and answers a write
// with what it was sent, under a string id.
type echoClient struct {
	mu   sync.Mutex
	sent []string
}

func (c *echoClient) Do(_ context.Context, route, _ string, params map[string]string, body any) (json.RawMessage, error) {
	b, err := json.Marshal(body) // what api.Client sends
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sent = append(c.sent, route+" "+string(b))
	c.mu.Unlock()
	m := map[string]any{}
	if body != nil {
		_ = json.Unmarshal(b, &m)
	}
	m["id"] = "new-1"
	if params["id"] != "" {
		m["id"] = params["id"]
	}
	if params["type"] != "" {
		m["type"] = params["type"]
	}
	return json.Marshal(m)
}

func (c *echoClient) List(context.Context, *kind.Kind, string, api.Object, func([]api.Object) error) (api.ListResult, error) {
	return api.ListResult{}, nil
}

func (c *echoClient) requests() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.sent, "\n")
}

// A group's users are sent as the target gives its member ids: a string
// id stays a string (never forced into a number, which "m-9" cannot be),
// whatever the type of the source's ids.
func TestGroupUsersKeepTargetIDType(t *testing.T) {
	for _, tc := range []struct {
		name        string
		idTypes     map[string]string // what the plan saw of the target
		mapped      string            // the target id of source member 1
		body        string
		add, remove string
	}{
		{"string ids", nil, "m-9", `{"add":[1],"remove":["m-7"]}`, `["m-9"]`, `["m-7"]`},
		{"numeric string ids", map[string]string{kind.Members: "string"}, "12", `{"add":[1],"remove":["13"]}`, `["12"]`, `["13"]`},
		{"number ids", map[string]string{kind.Members: "number"}, "12", `{"add":["1"],"remove":["13"]}`, `[12]`, `[13]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := newMemIDs()
			ids.ids["members/1"] = tc.mapped
			p := &Plan{IDTypes: tc.idTypes, Steps: []*Step{{Kind: KindGroupUsers, Key: "g-1", SourceID: "g-1", TargetID: "g-1",
				Action: Update, Body: json.RawMessage(tc.body)}}}
			c := &echoClient{}
			e := &Engine{Client: c, Workspace: "acme", IDs: ids}
			if _, err := e.Apply(context.Background(), p); err != nil {
				t.Fatalf("apply: %v (%+v)", err, p.Steps[0].Result)
			}
			got := c.requests()
			for _, want := range []string{`groups.users.add {"users":` + tc.add + `}`, `groups.users.remove {"users":` + tc.remove + `}`} {
				if !strings.Contains(got, want) {
					t.Errorf("sent:\n%s\nwant %s", got, want)
				}
			}
		})
	}
}

// An item's relation values are sent with the type of the target's item
// ids: replicating from a workspace of numeric ids into one whose ids are
// strings sends "5001", not 5001; a target of numbers gets numbers.
func TestItemRelationsKeepTargetIDType(t *testing.T) {
	for _, tc := range []struct {
		name, typ, target, want string
	}{
		{"string ids", "string", "c-5001", `"client":"c-5001"`},
		{"numeric string ids", "string", "5001", `"client":"5001"`},
		{"number ids", "number", "5001", `"client":5001`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := newMemIDs()
			ids.ids["items/1001"] = tc.target
			ids.ids["types/7"] = "contracts"
			p := &Plan{IDTypes: map[string]string{kind.Items: tc.typ}, Steps: []*Step{
				{Kind: kind.Items, Parent: "contracts", TargetParent: "contracts", Key: "1061", SourceID: "1061", Action: Create,
					Body: json.RawMessage(`{"data":{"client":1001,"number":"C-1"}}`), Relations: []string{"client"}},
				{Kind: kind.Items, Parent: "invoices", TargetParent: "invoices", Key: "1151", SourceID: "1151", TargetID: "i-1", Action: Update,
					Phase: PhaseLinks, Body: json.RawMessage(`{"data":{"client":[1001]}}`), Relations: []string{"client"}},
			}}
			c := &echoClient{}
			e := &Engine{Client: c, Workspace: "acme", IDs: ids}
			if _, err := e.Apply(context.Background(), p); err != nil {
				t.Fatalf("apply: %v (%+v %+v)", err, p.Steps[0].Result, p.Steps[1].Result)
			}
			got := c.requests()
			if !strings.Contains(got, "items.create ") || !strings.Contains(got, tc.want) {
				t.Errorf("sent:\n%s\nwant the create with %s", got, tc.want)
			}
			list := strings.Replace(tc.want, ":", ":[", 1) + "]"
			if !strings.Contains(got, "items.update ") || !strings.Contains(got, list) {
				t.Errorf("sent:\n%s\nwant the links step with %s", got, list)
			}
		})
	}
}

// A target whose ids are strings is compared with its references
// translated to strings: a member whose role is the same role is equal,
// not an update.
func TestBuildComparesWithTargetIDType(t *testing.T) {
	source := setOf(t,
		[4]string{"roles", "", "5", `{"id":5,"name":"Sales","slug":"sales","description":"","permissions":[]}`},
		[4]string{"members", "", "1", `{"id":1,"email":"a@acme.com","name":"A","type":"member","role":5,"status":"active"}`},
	)
	target := setOf(t,
		[4]string{"roles", "", "12", `{"id":"12","name":"Sales","slug":"sales","description":"","permissions":[]}`},
		[4]string{"members", "", "40", `{"id":"40","email":"a@acme.com","name":"A","type":"member","role":"12","status":"active"}`},
	)
	p, err := Build(Input{Operation: "replicate", Source: source, Target: target, Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, kind.Members, "1"); s.Action != Skip {
		t.Errorf("member: %s (%s), want skip: the role is the same", s.Action, s.Reason)
	}
}
