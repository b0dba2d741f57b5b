package restore

import (
	"context"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Two Whatsapp integrations (different phone numbers) were deleted from
// the target. An apply created 998 and was killed before recording it
// (998 pending). The next plan matches the integration 998's create made
// to source 997 by natural key (the provider slug); the lookup for 998
// must still take it: a provider names no one integration.
func TestResumedIntegrationCreateFindsItsObjectMatchedByProvider(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{MaskSecrets: true}, nil)
	ctx := context.Background()
	source := setOf(t,
		[4]string{"integrations", "", "997", `{"id":997,"data":{"environment":"stage","auth_token":"****","phone_number":"+5511900000997"},"integration":{"id":6,"slug":"whatsapp-twilio","name":"Whatsapp Twilio"},"status":"active"}`},
		[4]string{"integrations", "", "998", `{"id":998,"data":{"environment":"stage","auth_token":"****","phone_number":"+5511900000998"},"integration":{"id":6,"slug":"whatsapp-twilio","name":"Whatsapp Twilio"},"status":"active"}`})
	sec := secretsOf{"whatsapp-twilio": {"auth_token": "tok-1111"}}
	ids := newMemIDs()
	// The killed apply: 998 marked pending, its create reached the server.
	ids.pending[kind.Integrations+"/998"] = true // marked by the killed process
	if _, err := lt.client.Do(ctx, "integrations.create", "acme", nil, map[string]any{"integration": 6,
		"data": map[string]any{"environment": "stage", "auth_token": "tok-1111", "phone_number": "+5511900000998"}}); err != nil {
		t.Fatal(err)
	}
	live := readAll(t, lt.client)
	before := len(live.Of(kind.Integrations))
	for _, o := range live.Of(kind.Integrations) {
		t.Logf("target %s: %s", o.ID, o.Raw)
	}
	p, err := Build(Input{Operation: "restore", Source: source, Target: live, Select: SelectAll(), Same: true, IDs: ids, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Kind == kind.Integrations {
			t.Logf("plan: %s %s %s target=%s match=%q: %s", s.Kind, s.Key, s.Action, s.TargetID, s.Match, s.Reason)
		}
	}
	sum, err := (&Engine{Client: lt.client, Workspace: "acme", IDs: ids, Secrets: sec}).Apply(ctx, p)
	t.Logf("apply: %v %v", sum, err)
	for _, s := range p.Steps {
		if s.Kind == kind.Integrations {
			t.Logf("after: %s lookup=%v result=%+v", s.Key, s.Lookup, s.Result)
		}
	}
	after := readAll(t, lt.client)
	n998 := 0
	for _, o := range after.Of(kind.Integrations) {
		if strings.Contains(string(o.Raw), "+5511900000998") {
			n998++
		}
	}
	if n998 != 1 {
		t.Errorf("%d integrations with 998's phone number after the resumed apply, want 1 (integrations %d -> %d)", n998, before, len(after.Of(kind.Integrations)))
	}
}
