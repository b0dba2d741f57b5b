package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// strictClient plays a server that forbids unknown properties: a write
// whose body holds one of refuse is answered 400 with message (a list of
// NestJS messages, or a plain string); any other write is answered with
// its body and a new id. It records the bodies it was sent.
type strictClient struct {
	refuse []string
	plain  bool
	mu     sync.Mutex
	bodies []map[string]any
}

func (c *strictClient) Do(_ context.Context, _, _ string, _ map[string]string, body any) (json.RawMessage, error) {
	m, _ := body.(map[string]any)
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := map[string]any{}
	for k, v := range m {
		cp[k] = v
	}
	c.bodies = append(c.bodies, cp)
	var msgs []string
	for _, f := range c.refuse {
		if _, ok := m[f]; ok {
			msgs = append(msgs, "property "+f+" should not exist")
		}
	}
	if len(msgs) > 0 {
		msg, _ := json.Marshal(msgs)
		if c.plain {
			msg, _ = json.Marshal(strings.Join(msgs, ", "))
		}
		return nil, api.ParseError(400, []byte(`{"statusCode":400,"error":"Bad Request","message":`+string(msg)+`}`))
	}
	cp["id"] = 100 + len(c.bodies)
	raw, _ := json.Marshal(cp)
	return raw, nil
}

func (c *strictClient) List(context.Context, *kind.Kind, string, api.Object, func([]api.Object) error) (api.ListResult, error) {
	return api.ListResult{}, errors.New("no list in this test")
}

// typeCreates is a plan of n type creates whose bodies hold, besides the
// contract's fields, a read-only "revision" and a writable "notes".
func typeCreates(n int) *Plan {
	p := &Plan{Operation: "restore", Target: "acme"}
	for i := range n {
		slug := fmt.Sprintf("t%d", i)
		p.Steps = append(p.Steps, &Step{Kind: kind.Types, Key: slug, SourceID: fmt.Sprint(i + 1), Action: Create,
			Body: marshalRaw(map[string]any{"name": slug, "slug": slug, "revision": "r" + slug, "notes": "n " + slug})})
	}
	return p
}

// A write refused for a property beyond the contract goes again without
// it; later writes of the kind leave it out from the start; every other
// field (a writable one beyond the contract included) is written; the
// plan says what was not written. Without the retry the creates fail;
// without the memory each costs a refusal.
func TestWriteRefusedForUnknownFieldGoesAgainWithout(t *testing.T) {
	for _, plain := range []bool{false, true} {
		c := &strictClient{refuse: []string{"revision"}, plain: plain}
		p := typeCreates(3)
		e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 1}
		sum, err := e.Apply(context.Background(), p)
		if err != nil || sum[StatusDone] != 3 {
			t.Fatalf("plain %v: apply: %v %v\n%s", plain, sum, err, dump(p))
		}
		if len(c.bodies) != 4 {
			t.Fatalf("plain %v: %d requests, want 4 (one refusal, then three without revision): %v", plain, len(c.bodies), c.bodies)
		}
		for i, b := range c.bodies[1:] {
			if _, ok := b["revision"]; ok {
				t.Errorf("request %d still sends revision: %v", i+2, b)
			}
			if b["notes"] == nil {
				t.Errorf("request %d lost the writable field notes: %v", i+2, b)
			}
		}
		if want := map[string][]string{"types": {"revision"}}; !reflect.DeepEqual(p.RefusedFields, want) {
			t.Errorf("plain %v: RefusedFields = %v, want %v", plain, p.RefusedFields, want)
		}
		lines := RefusedFieldLines(p)
		if len(lines) != 1 || lines[0] != "types: the server refused fields it does not take: revision (not restored)" {
			t.Errorf("lines = %q", lines)
		}
	}
}

// A refused property the contract names for the kind is an error: the
// write is not sent again without it.
func TestWriteRefusedForContractFieldFails(t *testing.T) {
	c := &strictClient{refuse: []string{"slug", "revision"}}
	p := typeCreates(1)
	e := &Engine{Client: c, Workspace: "acme", IDs: newMemIDs(), Concurrency: 1}
	sum, err := e.Apply(context.Background(), p)
	if !errors.Is(err, ErrApplyFailed) || sum[StatusFailed] != 1 {
		t.Fatalf("apply: %v %v", sum, err)
	}
	if len(c.bodies) != 1 || p.RefusedFields != nil {
		t.Errorf("%d requests, refused %v: want one request and nothing left out", len(c.bodies), p.RefusedFields)
	}
	if !strings.Contains(p.Steps[0].Result.Error, "property slug should not exist") {
		t.Errorf("error = %q", p.Steps[0].Result.Error)
	}
}

func TestRefusedProperties(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   []string
	}{
		{400, `{"statusCode":400,"message":["property revision should not exist","property x should not exist"]}`, []string{"revision", "x"}},
		{400, `{"statusCode":400,"message":"property revision should not exist"}`, []string{"revision"}},
		{400, `{"statusCode":400,"message":["name should not be empty"]}`, nil},
		{422, `{"statusCode":422,"message":["property revision should not exist"]}`, nil},
	} {
		got := refusedProperties(api.ParseError(tc.status, []byte(tc.body)))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d %s: got %v, want %v", tc.status, tc.body, got, tc.want)
		}
	}
}
