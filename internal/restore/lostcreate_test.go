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

// A deleted quick task with four members is restored into a server that
// may answer member lists in another order and may lose the answer of the
// create: the lookup finds the quick task the create made (the order of
// assignees is not promised), and does not create it again.
func TestLostQuickTaskCreateFoundWhateverTheAssigneeOrder(t *testing.T) {
	for _, shuffle := range []bool{false, true} {
		for _, lose := range []bool{false, true} {
			name := map[bool]string{false: "ordered", true: "shuffled"}[shuffle] + map[bool]string{false: "/answered", true: "/lost"}[lose]
			t.Run(name, func(t *testing.T) { restoreQuickTask(t, shuffle, lose) })
		}
	}
}

func restoreQuickTask(t *testing.T, shuffle, lose bool) {
	lt := newLiveTarget(t, fakeapi.Options{ShuffleLists: shuffle, Seed: 3}, nil)
	ctx := context.Background()
	var members []any
	for _, m := range readAll(t, lt.client).Of(kind.Members)[:4] {
		members = append(members, jsonNumber(m.ID))
	}
	if _, err := lt.client.Do(ctx, "quick-tasks.create", "acme", nil, map[string]any{"title": "four people", "status": "open",
		"assignees": map[string]any{"members": members, "groups": []any{}}}); err != nil {
		t.Fatal(err)
	}
	source := readAll(t, lt.client)
	var qtID string
	for _, q := range source.Of(kind.QuickTasks) {
		if text(q.Fields()["title"]) == "four people" {
			qtID = q.ID
		}
	}
	if _, err := lt.client.Do(ctx, "quick-tasks.delete", "acme", map[string]string{"id": qtID}, nil); err != nil {
		t.Fatal(err)
	}
	ids := newMemIDs()
	p, err := Build(Input{Operation: "restore", Source: source, Target: readAll(t, lt.client), Select: SelectAll(), Same: true, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if lose {
		lt.srv.SetFaults(fakeapi.Faults{RateLostWrite: 1, LostWriteStatus: 503, LostWriteMethod: http.MethodPost})
	}
	once, err := api.New(api.Options{BaseURL: lt.client.BaseURL(), APIKey: fakeapi.DemoAPIKey, Timeout: 10 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := (&Engine{Client: once, Workspace: "acme", IDs: ids}).Apply(ctx, p)
	lt.srv.SetFaults(fakeapi.Faults{})
	s := stepFor(t, p, kind.QuickTasks, qtID)
	t.Logf("apply: %v %v; step %s %+v", sum, err, s.Action, s.Result)
	after := readAll(t, lt.client)
	n := 0
	for _, q := range after.Of(kind.QuickTasks) {
		if text(q.Fields()["title"]) == "four people" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d quick tasks 'four people' in the target, want 1", n)
	}
	if !lose {
		p2, err := Build(Input{Operation: "restore", Source: source, Target: after, Select: SelectAll(), Same: true, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		if p2.Writes() != 0 {
			t.Errorf("second plan writes %d\n%s", p2.Writes(), dump(p2))
		}
	}
}

// TestLostIntegrationCreateSkipsIntegrationMatchedBySameID restores, into
// the same workspace on a server that masks secrets, two Whatsapp
// integrations that differ only in their secret: one still in the target
// (matched by same id, which the id map never records), the other
// deleted. The create of the deleted one loses its answer; the lookup,
// which cannot compare secrets, must pass over the integration the plan
// matched to the other source object and take the one the create made.
func TestLostIntegrationCreateSkipsIntegrationMatchedBySameID(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{MaskSecrets: true}, nil)
	ctx := context.Background()
	raw, err := lt.client.Do(ctx, "integrations.create", "acme", nil, map[string]any{"integration": 6,
		"data": map[string]any{"environment": "stage", "auth_token": "tok-1111", "phone_number": "+5511999999999"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeRaw(raw)
	keep := text(v.(map[string]any)["id"])
	live := readAll(t, lt.client)
	kept := live.ByID(kind.Integrations, keep)
	if kept == nil {
		t.Fatalf("no integration %s", keep)
	}
	before := len(live.Of(kind.Integrations))
	// The deleted one: same provider and data, another secret.
	source := setOf(t, [4]string{"integrations", "", keep, string(kept.Raw)},
		[4]string{"integrations", "", "999", `{"id":999,"data":{"environment":"stage","auth_token":"****2222","phone_number":"+5511999999999"},"integration":{"id":6,"slug":"whatsapp-twilio","name":"Whatsapp Twilio"},"status":"active"}`})
	sec := secretsOf{"whatsapp-twilio": {"auth_token": "tok-2222"}}
	ids := newMemIDs()
	p, err := Build(Input{Operation: "restore", Source: source, Target: live, Select: SelectAll(), Same: true, IDs: ids, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, kind.Integrations, "999"); s.Action != Create {
		t.Fatalf("999: %s %s\n%s", s.Action, s.Reason, dump(p))
	}
	if s := stepFor(t, p, kind.Integrations, keep); s.Match != "same id" {
		t.Fatalf("%s: matched %q, want same id\n%s", keep, s.Match, dump(p))
	}
	lt.srv.SetFaults(fakeapi.Faults{RateLostWrite: 1, LostWriteStatus: 503, LostWriteMethod: http.MethodPost})
	once, err := api.New(api.Options{BaseURL: lt.client.BaseURL(), APIKey: fakeapi.DemoAPIKey, Timeout: 10 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := (&Engine{Client: once, Workspace: "acme", IDs: ids, Secrets: sec}).Apply(ctx, p)
	lt.srv.SetFaults(fakeapi.Faults{})
	s := stepFor(t, p, kind.Integrations, "999")
	if err != nil || sum[StatusFailed] != 0 {
		t.Fatalf("apply: %v %v; result %+v", sum, err, s.Result)
	}
	got, _ := ids.Target(kind.Integrations, "999")
	if got == keep {
		t.Fatalf("integration 999 (deleted, created again) was mapped onto integration %s, which the plan matched to source %s by same id", got, keep)
	}
	after := readAll(t, lt.client)
	if n := len(after.Of(kind.Integrations)); n != before+1 {
		t.Errorf("%d integrations after the apply, want %d (one created)", n, before+1)
	}
	if got == "" || after.ByID(kind.Integrations, got) == nil {
		t.Errorf("integration 999 mapped onto %q, not the integration its create made; result %+v", got, s.Result)
	}
}

// TestLookupComparesMaskedSecretTail: the lookup after a lost integration
// create compares the characters a mask shows ("****1111",
// "sk_live_****1234") with the configured secret the create sent: an
// integration whose mask shows other characters holds another secret. A
// mask that shows nothing ("****", the fake server's), or a secret the
// answer leaves out, tells nothing.
func TestLookupComparesMaskedSecretTail(t *testing.T) {
	s := &Step{Secrets: []string{"whatsapp-twilio.auth_token", "whatsapp-twilio.credentials.client_secret"}}
	sent := map[string]any{"auth_token": "tok-2222", "credentials": map[string]any{"client_secret": "sk_live_ab1234"}}
	for _, tc := range []struct {
		name    string
		have    map[string]any
		differs bool
	}{
		{"other tail", map[string]any{"auth_token": "****1111"}, true},
		{"same tail", map[string]any{"auth_token": "****2222"}, false},
		{"tail behind a separator", map[string]any{"auth_token": "****-2222"}, false},
		{"nothing shown", map[string]any{"auth_token": "****"}, false},
		{"left out", map[string]any{}, false},
		{"not a mask", map[string]any{"auth_token": "tok-1111"}, false},
		{"nested, same prefix and tail", map[string]any{"credentials": map[string]any{"client_secret": "sk_live_****1234"}}, false},
		{"nested, other prefix", map[string]any{"credentials": map[string]any{"client_secret": "sk_test_****1234"}}, true},
		{"nested, other tail", map[string]any{"credentials": map[string]any{"client_secret": "sk_live_****9999"}}, true},
	} {
		if got := maskDiffers(s, sent, tc.have); got != tc.differs {
			t.Errorf("%s: maskDiffers = %v, want %v", tc.name, got, tc.differs)
		}
	}
}
