package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestFormatHidesFileVariable: an integration secret's *_file field
// written as ${VAR} holds the variable's value, which may be the secret
// itself (a mistake the config names without printing it). No fmt verb on
// the environment, its secrets or the config prints it; config check's
// Redacted shows the field as written.
func TestFormatHidesFileVariable(t *testing.T) {
	const leaked = "sk-live-Planted-Value-81"
	doc := `database: /tmp/x.db
environments:
  stage:
    base_url: https://api-develop.enspace.io
    api_key_file: stage.key
    secrets:
      crm: {token_file: "${CRM_TOKEN_FILE}", client_id_file: /etc/enspace-sync/crm.id}
workspaces:
  - name: acme
    environment: stage
`
	c, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(map[string]string{"CRM_TOKEN_FILE": leaked})})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	e := c.Environments["stage"]
	for _, v := range []any{e.Secrets["crm"], e.Secrets, e, *e, c.Environments, c} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			if verb == "%x" {
				out += string(hexDecode(out))
			}
			if strings.Contains(out, leaked) {
				t.Errorf("fmt %s of %T prints the variable's value: %s", verb, v, out)
			}
		}
	}
	if got, want := fmt.Sprint(e.Secrets["crm"]), "map[client_id_file:[redacted] token_file:[redacted]]"; got != want {
		t.Errorf("fmt %%v = %s, want %s", got, want)
	}
	red, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(red); strings.Contains(s, leaked) || !strings.Contains(s, "${CRM_TOKEN_FILE}") || !strings.Contains(s, "/etc/enspace-sync/crm.id") {
		t.Errorf("Redacted: want the field as written and the literal path, never the value:\n%s", s)
	}
}

// TestFormatHidesOffsiteFileVariable: an offsite target's password_file
// (or credential file) written as ${VAR} holds the variable's value,
// which may be the password itself. No fmt verb on the target, or the
// config's list of them, prints it; Redacted shows the field as written.
func TestFormatHidesOffsiteFileVariable(t *testing.T) {
	const leaked = "offsite-Planted-Password-81"
	doc := `database: /tmp/x.db
environments:
  stage:
    base_url: https://api-develop.enspace.io
    api_key_file: stage.key
workspaces:
  - name: acme
    environment: stage
offsite:
  - name: nas
    url: s3://backups/enspace?endpoint=https://minio:9000
    password_file: "${PW_FILE}"
    session_token_file: /etc/enspace-sync/nas.token
`
	c, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(map[string]string{"PW_FILE": leaked})})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	o := c.Offsite[0]
	for _, v := range []any{o, *o, c.Offsite} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			if verb == "%x" {
				out += string(hexDecode(out))
			}
			if strings.Contains(out, leaked) {
				t.Errorf("fmt %s of %T prints the variable's value: %s", verb, v, out)
			}
		}
	}
	red, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(red); strings.Contains(s, leaked) || !strings.Contains(s, "${PW_FILE}") || !strings.Contains(s, "/etc/enspace-sync/nas.token") {
		t.Errorf("Redacted: want the field as written and the literal path, never the value:\n%s", s)
	}
}
