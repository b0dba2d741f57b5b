package restore

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Many creates of a kind at once, each refused for the same field beyond
// the contract: the remembered set is shared safely (run with -race) and
// every create is done with the writable field kept.
func TestRefusedFieldsConcurrentCreates(t *testing.T) {
	c := &strictClient{refuse: []string{"revision"}}
	p := typeCreates(40)
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 8}
	sum, err := e.Apply(context.Background(), p)
	if err != nil || sum[StatusDone] != 40 {
		t.Fatalf("apply: %v %v", sum, err)
	}
	if want := map[string][]string{"types": {"revision"}}; !reflect.DeepEqual(p.RefusedFields, want) {
		t.Errorf("RefusedFields = %v", p.RefusedFields)
	}
	for _, b := range c.bodies {
		if b["notes"] == nil {
			t.Errorf("a body lost notes: %v", b)
		}
	}
}

// NestJS names a refused property of a nested object with its parent's
// path ("settings.property notes should not exist"): that is not the
// top-level field of the same name, which must not be dropped.
func TestRefusedPropertiesNestedPathNotTopLevel(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`{"statusCode":400,"message":["settings.property notes should not exist"]}`, nil},
		{`{"statusCode":400,"message":["settings.0.property notes should not exist","property revision should not exist"]}`, []string{"revision"}},
		{`{"statusCode":400,"message":"subproperty notes should not exist"}`, nil},
		{`{"statusCode":400,"message":"Validation failed: property revision should not exist, property x should not exist"}`, []string{"revision", "x"}},
	} {
		got := refusedProperties(api.ParseError(400, []byte(tc.body)))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.body, got, tc.want)
		}
	}
}

// A kind whose body has a shape of its own (kind.Kind.View: a member's
// invitation) sends only what the contract names for its route, fields
// Known does not list included (a member create's fname and lname): a
// refusal of one is a contract field refused, an error, never a field
// dropped and reported as beyond the contract.
func TestWriteRefusedForShapedContractFieldFails(t *testing.T) {
	c := &strictClient{refuse: []string{"fname"}}
	p := &Plan{Operation: "restore", Target: "acme", Steps: []*Step{{Kind: kind.Members, Key: "ana@acme.com", SourceID: "7", Action: Create,
		Body: marshalRaw(map[string]any{"email": "ana@acme.com", "type": "standard", "fname": "Ana", "lname": "Lima"})}}}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 1}
	sum, err := e.Apply(context.Background(), p)
	if !errors.Is(err, ErrApplyFailed) || sum[StatusFailed] != 1 {
		t.Fatalf("apply: %v %v (requests %v)", sum, err, c.bodies)
	}
	if len(c.bodies) != 1 || p.RefusedFields != nil {
		t.Errorf("%d requests, refused %v: want one request and nothing left out", len(c.bodies), p.RefusedFields)
	}
}

// nestedRefuser refuses every write with NestJS's message for a property
// of a nested object (settings.notes), whatever else the body holds.
type nestedRefuser struct{ strictClient }

func (c *nestedRefuser) Do(_ context.Context, _, _ string, _ map[string]string, body any) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, _ := body.(map[string]any)
	c.bodies = append(c.bodies, maps.Clone(m))
	return nil, api.ParseError(400, []byte(`{"statusCode":400,"error":"Bad Request","message":["settings.property notes should not exist"]}`))
}

// A refusal of a nested property does not drop, remember and report the
// writable top-level field of the same name.
func TestNestedRefusalKeepsTopLevelField(t *testing.T) {
	c := &nestedRefuser{}
	p := &Plan{Operation: "restore", Target: "acme", Steps: []*Step{{Kind: kind.Types, Key: "t", SourceID: "1", Action: Create,
		Body: marshalRaw(map[string]any{"name": "T", "slug": "t", "notes": "kept", "settings": map[string]any{"notes": 1}})}}}
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 1}
	if _, err := e.Apply(context.Background(), p); !errors.Is(err, ErrApplyFailed) {
		t.Fatalf("apply: %v", err)
	}
	if len(c.bodies) != 1 || p.RefusedFields != nil {
		t.Errorf("%d requests, refused %v: want one request and notes not reported", len(c.bodies), p.RefusedFields)
	}
}
