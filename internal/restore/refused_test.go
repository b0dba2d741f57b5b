package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
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
