package restore

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestLostCreateAnswered503 restores a deleted contract into a server whose
// gateway answers 503 (without Retry-After) to every create the server
// goes on to make: the client retries creates, yet the apply makes exactly
// one object, found by its natural key after the lost answer.
func TestLostCreateAnswered503(t *testing.T) {
	for _, status := range []int{503, 502, 504, 520, 408} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			c := newLiveRestore(t, fakeapi.Options{})
			contract := c.firstItem(t, "contracts")
			c.do(t, "items.delete", map[string]string{"type": "contracts", "id": contract.ID}, nil)
			before := len(c.lt.srv.Workspace("acme").ItemIDs("contracts"))
			c.lt.srv.SetFaults(fakeapi.Faults{RateLostWrite: 1, LostWriteStatus: status, LostWriteMethod: http.MethodPost})
			retrying, err := api.New(api.Options{BaseURL: c.lt.client.BaseURL(), APIKey: fakeapi.DemoAPIKey,
				Timeout: 10 * time.Second, MaxAttempts: 4, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			p := c.plan(t)
			sum, err := (&Engine{Client: retrying, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
			if err != nil || sum[StatusFailed] != 0 {
				t.Fatalf("apply: %v, %v\n%s", err, sum, dump(p))
			}
			c.lt.srv.SetFaults(fakeapi.Faults{})
			if got := len(c.lt.srv.Workspace("acme").ItemIDs("contracts")); got != before+1 {
				t.Errorf("%d contracts after restoring one into %d, want %d: a create answered %d was sent again", got, before, before+1, status)
			}
			if got := c.lt.srv.Requests().Faults[fakeapi.FaultLostWrite]; got != 1 {
				t.Errorf("%d lost writes, want the one create", got)
			}
			s := stepFor(t, p, kind.Items, contract.ID)
			if s.Result == nil || s.Result.Note != "found in the target after a lost answer" {
				t.Errorf("step %s: %+v, want found after the lost answer", s.Key, s.Result)
			}
		})
	}
}
