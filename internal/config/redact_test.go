package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRedacted(t *testing.T) {
	doc := replace(t, baseConfig, "{token_file: cert.token}", "{token_file: cert.token}\n      sendgrid: {api_key: \"${SG}\", from_name: Ops}")
	vars := baseEnv()
	vars["SG"] = plantedToken + "-sg"
	c, err := Load(writeTree(t, doc, baseFiles()), Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatalf("Redacted: %v", err)
	}
	text := string(out)
	assertNoSecret(t, "Redacted", text)
	if strings.Contains(text, vars["SG"]) {
		t.Errorf("Redacted holds the sendgrid key:\n%s", text)
	}
	want := `database: /tmp/enspace-sync.db
log:
  level: info
  format: text
listen: 127.0.0.1:9464
timezone: UTC
environments:
  production:
    base_url: https://api.leif.enspace.io
    api_key_file: prod.key
    concurrency: 8
    requests_per_second: 20
    page_size: 100
    timeout: 1m0s
    routes:
      items.list: /ws/types/{type}/records
    secrets:
      certisign:
        token_file: cert.token
      sendgrid:
        api_key: '[redacted]'
        from_name: '[redacted]'
  stage:
    base_url: https://api-develop.enspace.io
    api_key: '[redacted]'
    concurrency: 8
    requests_per_second: 20
    page_size: 100
    timeout: 1m0s
    routes: {}
    secrets: {}
workspaces:
  - name: acme
    environment: production
    slug: acme
    schedule: 0 */6 * * *
    include:
      - contracts
      - items
    exclude:
      - request-logs
    retention:
      keep_last: 10
      keep_daily: 14
      keep_weekly: 8
      keep_monthly: 12
    anomaly_threshold: 0.3
  - name: beta
    environment: stage
    slug: beta
    schedule: '@daily'
    include: []
    exclude: []
    retention:
      keep_last: 10
      keep_daily: 14
      keep_weekly: 8
      keep_monthly: 12
    anomaly_threshold: 0.3
notify:
  webhook_url: ""
  heartbeat_url: ""
  timeout: 10s
scrub:
  enabled: true
  schedule: '@weekly'
  bandwidth: 20MiB
`
	if diff := cmp.Diff(want, text); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
}

// TestRedactedRoundTrip parses the redacted output again: it is the same
// configuration, secrets aside.
func TestRedactedRoundTrip(t *testing.T) {
	c := mustParse(t, baseConfig, baseEnv())
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(strings.NewReader(string(out)), "redacted.yaml", Options{NoExpand: true})
	if err != nil {
		t.Fatalf("Parse(Redacted): %v\n%s", err, out)
	}
	opts := []cmp.Option{
		cmpopts.IgnoreUnexported(Config{}, Environment{}, Workspace{}),
		cmpopts.IgnoreFields(Config{}, "Warnings"),
		cmpopts.IgnoreFields(Environment{}, "APIKey"),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(c, again, opts...); diff != "" {
		t.Errorf("round trip (-before +after):\n%s", diff)
	}
}
