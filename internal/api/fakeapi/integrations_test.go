package fakeapi

import (
	"bytes"
	"strings"
	"testing"
)

func TestIntegrationSecretsNeverReturned(t *testing.T) {
	s := newServer(t, Options{})
	const token, apiKey = "tok-SECRET-4f9e1c", "SG.SECRET-b7d2a0"
	var answers [][]byte
	for _, body := range []map[string]any{
		{"integration": 1, "data": map[string]any{"environment": "stage", "changeKeys": true, "token": token,
			"webhookCatcherEndpoint": "https://api-develop.enspace.io/webhooks/certisign"}},
		{"integration": 4, "data": map[string]any{"environment": "production", "api_key": apiKey, "from_email": "x@acme.com"}},
	} {
		a := do(t, s, req{method: "POST", path: "/workspace-integrations", ws: "acme", body: body})
		if a.status != 200 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		answers = append(answers, a.body)
		var got integrationView
		mustJSON(t, a.body, &got)
		if got.Status != "active" || got.Integration.Slug == "" || len(got.Integration.Media) != 0 {
			t.Errorf("create answered %s", a.body)
		}
	}
	for _, path := range getPaths(t, s) {
		for _, ws := range []string{"acme", "acme-stage"} {
			answers = append(answers, do(t, s, req{method: "GET", path: path, ws: ws}).body)
		}
	}
	// The stored secrets: the two created and the four of the demo.
	var secrets []string
	for _, w := range []string{"acme", "acme-stage"} {
		ws := s.Workspace(w)
		ws.mu.RLock()
		for _, g := range ws.integrations {
			for _, v := range g.secrets {
				secrets = append(secrets, string(v[1:len(v)-1]))
			}
		}
		ws.mu.RUnlock()
	}
	if len(secrets) != 6 || !contains(secrets, token) || !contains(secrets, apiKey) {
		t.Fatalf("stored secrets %q, want the 2 created and 4 of the demo", secrets)
	}
	for _, body := range answers {
		for _, sec := range secrets {
			if bytes.Contains(body, []byte(sec)) {
				t.Fatalf("an answer contains the secret %q: %.300s", sec, body)
			}
		}
	}
}

func TestIntegrationValidation(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name string
		body any
		want int
	}{
		{"unknown catalogue id", map[string]any{"integration": 2, "data": map[string]any{}}, 400},
		{"no integration", map[string]any{"data": map[string]any{}}, 400},
		{"bad environment", map[string]any{"integration": 1, "data": map[string]any{"environment": "dev"}}, 400},
		{"data not an object", map[string]any{"integration": 1, "data": "x"}, 400},
		{"docusign", map[string]any{"integration": 8, "data": map[string]any{"environment": "stage"}}, 200},
	}
	for _, tt := range tests {
		if a := do(t, s, req{method: "POST", path: "/workspace-integrations", ws: "acme", body: tt.body}); a.status != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, a.status, tt.want, a.body)
		}
	}
	if a := do(t, s, req{method: "PUT", path: "/workspace-integrations/75", ws: "acme", body: "{}"}); a.status != 404 {
		t.Errorf("update exists: status %d", a.status)
	}
}

// TestIntegrationSecretsMasked: with MaskSecrets, secrets (those of the
// documented providers and api_token, auth_token, client_secret) are
// answered as "****" and their last four characters, never in full.
func TestIntegrationSecretsMasked(t *testing.T) {
	s := newServer(t, Options{MaskSecrets: true})
	a := do(t, s, req{method: "POST", path: "/workspace-integrations", ws: "acme",
		body: map[string]any{"integration": 5, "data": map[string]any{"api_token": "cl-SECRET-0123wxyz", "account": "acme"}}})
	if a.status != 200 || !strings.Contains(string(a.body), `"api_token":"****wxyz"`) || strings.Contains(string(a.body), "SECRET") {
		t.Errorf("create answered %d %s, want api_token masked", a.status, a.body)
	}
	list := do(t, s, req{method: "GET", path: "/workspace-integrations", ws: "acme"})
	if !strings.Contains(string(list.body), `"token":"****`) || strings.Contains(string(list.body), "SECRET") {
		t.Errorf("list answered %s, want the secrets masked", list.body)
	}
	plain := newServer(t, Options{})
	if b := do(t, plain, req{method: "GET", path: "/workspace-integrations", ws: "acme"}).body; strings.Contains(string(b), "****") {
		t.Errorf("without MaskSecrets: %s", b)
	}
}
