package restore

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestBuildMaskedSecretOfUnlistedProvider: a server that answers a
// secret of a provider the kind table does not list with a mask ("****",
// "••••", a mask with a few visible characters) never gets the mask back
// on create: the key needs its secret like a listed one, from the
// operator's config (and the mask is not in the body), or the
// integration is a manual step.
func TestBuildMaskedSecretOfUnlistedProvider(t *testing.T) {
	source := setOf(t,
		[4]string{"integrations", "", "80", `{"id":80,"data":{"environment":"stage","api_token":"********","account":"acme"},"integration":{"id":5,"slug":"clicksign","name":"Clicksign"},"status":"active"}`},
		[4]string{"integrations", "", "81", `{"id":81,"data":{"environment":"stage","auth_token":"••••1a2b","phone_number":"+5511999999999"},"integration":{"id":6,"slug":"whatsapp-twilio","name":"Whatsapp Twilio"},"status":"active"}`},
		[4]string{"integrations", "", "82", `{"id":82,"data":{"environment":"stage","secret":"sk-****","note":"a *** b"},"integration":{"id":8,"slug":"docusign","name":"Docusign"},"status":"active"}`},
	)
	p, err := Build(Input{Operation: "replicate", Source: source, Target: NewSet(), Select: SelectAll(),
		IDs: newMemIDs(), Secrets: secretsOf{"clicksign": {"api_token": "s3cret"}}, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	click := stepFor(t, p, "integrations", "80")
	if click.Action != Create || len(click.Secrets) != 1 || click.Secrets[0] != "clicksign.api_token" {
		t.Errorf("clicksign: %s %q secrets %v, want a create with the configured api_token", click.Action, click.Reason, click.Secrets)
	}
	if got := string(click.Body); got != `{"data":{"account":"acme","environment":"production"},"integration":5}` {
		t.Errorf("clicksign body %s: want no mask in it", got)
	}
	twilio := stepFor(t, p, "integrations", "81")
	if twilio.Action != Manual || !strings.Contains(twilio.Reason, "needs its secret auth_token re-entered") {
		t.Errorf("whatsapp: %s %q, want manual: needs its secret auth_token re-entered", twilio.Action, twilio.Reason)
	}
	docu := stepFor(t, p, "integrations", "82")
	if docu.Action != Manual || !strings.Contains(docu.Reason, "needs its secret secret re-entered") {
		t.Errorf("docusign: %s %q, want manual for the masked key only", docu.Action, docu.Reason)
	}
	if d := dump(p); strings.Contains(d, "****") || strings.Contains(d, "••••") || strings.Contains(d, "s3cret") {
		t.Errorf("the plan holds a mask or a secret:\n%s", d)
	}
}

// TestBuildMaskNotCompared: an equal target integration whose secret the
// server masks differently is still equal (masks are not compared).
func TestBuildMaskNotCompared(t *testing.T) {
	source := setOf(t, [4]string{"integrations", "", "80", `{"id":80,"data":{"environment":"stage","api_token":"****abcd"},"integration":{"id":5,"slug":"clicksign","name":"Clicksign"},"status":"active"}`})
	target := setOf(t, [4]string{"integrations", "", "90", `{"id":90,"data":{"environment":"stage","api_token":"****wxyz"},"integration":{"id":5,"slug":"clicksign","name":"Clicksign"},"status":"active"}`})
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, "integrations", "80"); s.Action != Skip {
		t.Errorf("%s %q, want skip: masks are not compared", s.Action, s.Reason)
	}
}

// TestBuildNestedMask: a mask inside an object of an integration's data
// (data.credentials.client_secret) is never sent back either: the key,
// named by its path, needs its secret, and the apply puts the configured
// value at that path.
func TestBuildNestedMask(t *testing.T) {
	source := setOf(t,
		[4]string{"integrations", "", "83", `{"id":83,"data":{"environment":"stage","credentials":{"client_id":"abc","client_secret":"sk_live_••••1234"}},"integration":{"id":9,"slug":"stripe","name":"Stripe"},"status":"active"}`},
		[4]string{"integrations", "", "84", `{"id":84,"data":{"environment":"stage","credentials":{"client_secret":"****"}},"integration":{"id":10,"slug":"slack","name":"Slack"},"status":"active"}`},
	)
	p, err := Build(Input{Operation: "replicate", Source: source, Target: NewSet(), Select: SelectAll(),
		IDs: newMemIDs(), Secrets: secretsOf{"stripe": {"credentials.client_secret": "s3cret"}}, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	stripe := stepFor(t, p, "integrations", "83")
	if stripe.Action != Create || len(stripe.Secrets) != 1 || stripe.Secrets[0] != "stripe.credentials.client_secret" {
		t.Fatalf("stripe: %s %q secrets %v, want a create with the configured credentials.client_secret", stripe.Action, stripe.Reason, stripe.Secrets)
	}
	if got := string(stripe.Body); got != `{"data":{"credentials":{"client_id":"abc"},"environment":"production"},"integration":9}` {
		t.Errorf("stripe body %s: want no mask in it", got)
	}
	slack := stepFor(t, p, "integrations", "84")
	if slack.Action != Manual || !strings.Contains(slack.Reason, "needs its secret credentials.client_secret re-entered") {
		t.Errorf("slack: %s %q, want manual: needs its secret credentials.client_secret re-entered", slack.Action, slack.Reason)
	}
	if d := dump(p); strings.Contains(d, "••••") || strings.Contains(d, "****") || strings.Contains(d, "s3cret") {
		t.Errorf("the plan holds a mask or a secret:\n%s", d)
	}
	e := &Engine{Secrets: secretsOf{"stripe": {"credentials.client_secret": "s3cret"}}}
	body := map[string]any{"data": map[string]any{"credentials": map[string]any{"client_id": "abc"}}}
	if err := e.addSecrets(stripe, body); err != nil {
		t.Fatal(err)
	}
	if got := body["data"].(map[string]any)["credentials"].(map[string]any)["client_secret"]; got != "s3cret" {
		t.Errorf("after addSecrets: %v, want the secret at data.credentials.client_secret", body)
	}
}

// TestApplyDottedMaskedKey: a top-level key with a dot in it
// ("smtp.password") that the server masked is named smtp\.password, and
// the configured secret lands in that very key of the body sent, not in
// a new object data.smtp; a secret configured under the unescaped name
// is not taken for it (the integration needs its secret), and a path
// whose objects are not in the body fails the step instead of creating
// them.
func TestApplyDottedMaskedKey(t *testing.T) {
	source := setOf(t,
		[4]string{"integrations", "", "85", `{"id":85,"data":{"environment":"stage","smtp.host":"mail.example.com","smtp.password":"****abcd"},"integration":{"id":11,"slug":"mailer","name":"Mailer"},"status":"active"}`},
		[4]string{"integrations", "", "86", `{"id":86,"data":{"environment":"stage","hosts.example.com":{"user":"u","password":"****"}},"integration":{"id":12,"slug":"ftp","name":"FTP"},"status":"active"}`},
	)
	secrets := secretsOf{"mailer": {`smtp\.password`: "s3cret"}, "ftp": {`hosts\.example\.com.password`: "p4ss"}}
	p, err := Build(Input{Operation: "restore", Source: source, Target: NewSet(), Select: SelectAll(),
		IDs: newMemIDs(), Secrets: secrets, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Secrets: secrets}
	for _, c := range []struct{ id, secret, body string }{
		{"85", `mailer.smtp\.password`, `{"data":{"environment":"production","smtp.host":"mail.example.com","smtp.password":"s3cret"},"integration":11}`},
		{"86", `ftp.hosts\.example\.com.password`, `{"data":{"environment":"production","hosts.example.com":{"password":"p4ss","user":"u"}},"integration":12}`},
	} {
		s := stepFor(t, p, "integrations", c.id)
		if s.Action != Create || len(s.Secrets) != 1 || s.Secrets[0] != c.secret {
			t.Fatalf("%s: %s %q secrets %v, want a create with %s", c.id, s.Action, s.Reason, s.Secrets, c.secret)
		}
		var body map[string]any
		if err := json.Unmarshal(s.Body, &body); err != nil {
			t.Fatal(err)
		}
		if err := e.addSecrets(s, body); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(body); string(got) != c.body {
			t.Errorf("%s: body sent %s, want %s", c.id, got, c.body)
		}
	}

	// The name written without the escape is another key: still needed.
	p, err = Build(Input{Operation: "restore", Source: source, Target: NewSet(), Select: SelectAll(),
		IDs: newMemIDs(), Secrets: secretsOf{"mailer": {"smtp.password": "s3cret"}}, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, "integrations", "85"); s.Action != Manual || !strings.Contains(s.Reason, `needs its secret smtp\.password re-entered`) {
		t.Errorf("unescaped config: %s %q, want manual: needs its secret smtp\\.password re-entered", s.Action, s.Reason)
	}

	// A secret whose path has no place in the body fails, and the body
	// gets no object it did not have.
	s := &Step{Secrets: []string{"mailer.smtp.password"}}
	e = &Engine{Secrets: secretsOf{"mailer": {"smtp.password": "s3cret"}}}
	body := map[string]any{"data": map[string]any{"smtp.host": "mail.example.com"}}
	if err := e.addSecrets(s, body); err == nil {
		t.Errorf("addSecrets put smtp.password somewhere: %v", body)
	}
	if got, _ := json.Marshal(body); string(got) != `{"data":{"smtp.host":"mail.example.com"}}` {
		t.Errorf("body after a failed addSecrets: %s", got)
	}
}

// An integration of a provider the contract does not document, carrying a
// masked secret the operator configured (top-level or nested), is created
// on a server that masks secrets and may lose the create's answer: the
// lookup finds the integration the create made, and does not create it
// again.
func TestLostIntegrationCreateFoundDespiteConfiguredSecret(t *testing.T) {
	secret := secretsOf{"whatsapp-twilio": {"auth_token": "tw-s3cret-9f8e"}}
	for _, tc := range []struct {
		name string
		data string
		sec  secretsOf
		lost bool
	}{
		{"secret/answered", `{"environment":"stage","auth_token":"****1a2b","phone_number":"+5511999999999"}`, secret, false},
		{"secret/lost", `{"environment":"stage","auth_token":"****1a2b","phone_number":"+5511999999999"}`, secret, true},
		{"nested secret/lost", `{"environment":"stage","credentials":{"client_id":"c-1","client_secret":"****9z"},"phone_number":"+5511999999999"}`,
			secretsOf{"whatsapp-twilio": {"credentials.client_secret": "cs-s3cret"}}, true},
		{"no secret/lost", `{"environment":"stage","phone_number":"+5511999999999"}`, secretsOf{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lt := newLiveTarget(t, fakeapi.Options{MaskSecrets: true}, nil)
			ctx := context.Background()
			source := setOf(t, [4]string{"integrations", "", "81",
				`{"id":81,"data":` + tc.data + `,"integration":{"id":6,"slug":"whatsapp-twilio","name":"Whatsapp Twilio"},"status":"active"}`})
			count := func() int {
				n := 0
				for _, o := range readAll(t, lt.client).Of(kind.Integrations) {
					if text(providerID(o)) == "6" {
						n++
					}
				}
				return n
			}
			before := count()
			ids := newMemIDs()
			p, err := Build(Input{Operation: "replicate", Source: source, Target: readAll(t, lt.client), Select: SelectAll(), IDs: ids, Secrets: tc.sec, Environment: "production"})
			if err != nil {
				t.Fatal(err)
			}
			s := stepFor(t, p, kind.Integrations, "81")
			if s.Action != Create {
				t.Fatalf("integration step: %s %s", s.Action, s.Reason)
			}
			if tc.lost {
				lt.srv.SetFaults(fakeapi.Faults{RateLostWrite: 1, LostWriteStatus: 503, LostWriteMethod: http.MethodPost})
			}
			once, err := api.New(api.Options{BaseURL: lt.client.BaseURL(), APIKey: fakeapi.DemoAPIKey, Timeout: 10 * time.Second, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := (&Engine{Client: once, Workspace: "acme", IDs: ids, Secrets: tc.sec}).Apply(ctx, p)
			lt.srv.SetFaults(fakeapi.Faults{})
			t.Logf("apply: %v %v; result %+v", sum, err, s.Result)
			if after := count(); after != before+1 {
				t.Errorf("whatsapp integrations %d -> %d, want one more", before, after)
			}
		})
	}
}

// The lookup after a lost integration create compares the data without
// the secrets the step adds from the configuration, nested ones included:
// a server answers them masked, or not at all.
func TestLookupDataWithoutConfiguredSecrets(t *testing.T) {
	k, _ := kind.ByName(kind.Integrations)
	s := &Step{Secrets: []string{"whatsapp-twilio.auth_token", "whatsapp-twilio.credentials.client_secret"}}
	data := map[string]any{"token": "t", "auth_token": "a", "phone": "1", "credentials": map[string]any{"client_id": "c", "client_secret": "cs"}}
	got := withoutSecrets(k, s, data)
	want := map[string]any{"phone": "1", "credentials": map[string]any{"client_id": "c"}}
	if string(marshalRaw(got)) != string(marshalRaw(want)) {
		t.Errorf("withoutSecrets = %s, want %s", marshalRaw(got), marshalRaw(want))
	}
	if _, ok := data["auth_token"]; !ok {
		t.Error("withoutSecrets changed the step's data")
	}
}
