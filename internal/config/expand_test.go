package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"HOST": "api.example.com", "EMPTY": "", "N": "8", "WEIRD": "a: b # c"}
	cases := []struct {
		in, want string
		vars     []string
		errs     []error
	}{
		{in: "plain", want: "plain"},
		{in: "${HOST}", want: "api.example.com", vars: []string{"HOST"}},
		{in: "https://${HOST}/v1", want: "https://api.example.com/v1", vars: []string{"HOST"}},
		{in: "${HOST}${N}", want: "api.example.com8", vars: []string{"HOST", "N"}},
		{in: "${MISSING:-fallback}", want: "fallback", vars: []string{"MISSING"}},
		{in: "${EMPTY:-fallback}", want: "fallback", vars: []string{"EMPTY"}},
		{in: "${HOST:-fallback}", want: "api.example.com", vars: []string{"HOST"}},
		{in: "${MISSING:-}", want: "", vars: []string{"MISSING"}},
		{in: "${MISSING:-a:-b}", want: "a:-b", vars: []string{"MISSING"}},
		{in: "${EMPTY}", want: "", vars: []string{"EMPTY"}},
		{in: "${WEIRD}", want: "a: b # c", vars: []string{"WEIRD"}},
		{in: "pa$$word", want: "pa$word"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "$$$${HOST}", want: "$${HOST}"},
		{in: "cost $5", want: "cost $5"},
		{in: "$HOST", want: "$HOST"},
		{in: "trailing $", want: "trailing $"},
		{in: "${MISSING}", want: "", vars: []string{"MISSING"}, errs: []error{ErrUnsetVariable}},
		{in: "${MISSING} and ${ALSO}", want: " and ", vars: []string{"MISSING", "ALSO"}, errs: []error{ErrUnsetVariable, ErrUnsetVariable}},
		{in: "${}", want: "", errs: []error{ErrSyntax}},
		{in: "${1X}", want: "", errs: []error{ErrSyntax}},
		{in: "${A B}", want: "", errs: []error{ErrSyntax}},
		{in: "${HOST:?required}", want: "", errs: []error{ErrSyntax}},
		{in: "x${HOST", want: "x${HOST", errs: []error{ErrSyntax}},
	}
	for _, c := range cases {
		got, gotVars, errs := expand(c.in, env(vars))
		if got != c.want {
			t.Errorf("expand(%q) = %q, want %q", c.in, got, c.want)
		}
		if !reflect.DeepEqual(gotVars, c.vars) {
			t.Errorf("expand(%q) vars = %q, want %q", c.in, gotVars, c.vars)
		}
		var gotErrs []error
		for _, e := range errs {
			gotErrs = append(gotErrs, e.sentinel)
		}
		if !reflect.DeepEqual(gotErrs, c.errs) {
			t.Errorf("expand(%q) errors = %v, want %v", c.in, gotErrs, c.errs)
		}
	}
}

func TestExpandInConfig(t *testing.T) {
	const doc = `# a comment naming ${NOT_SET} is not expanded
environments:
  production:
    base_url: https://${API_HOST}
    api_key: ${KEY}
    concurrency: ${CONCURRENCY}
    requests_per_second: ${RPS:-0}
    timeout: ${TIMEOUT:-30s}
    secrets:
      sendgrid:
        api_key: ${SENDGRID}
        from_name: "Ops $$ Team"
workspaces:
  - name: acme
    environment: production
    slug: ${SLUG:-acme-corp}
    include:
      - ${INCLUDED}
`
	vars := map[string]string{
		"API_HOST": "api.leif.enspace.io", "KEY": plantedKey, "CONCURRENCY": "16",
		"SENDGRID": "sg: key # not a comment", "INCLUDED": "contracts",
	}
	c := mustParse(t, doc, vars)
	e := c.Environments["production"]
	if got, want := e.BaseURL, "https://api.leif.enspace.io"; got != want {
		t.Errorf("base_url = %q, want %q", got, want)
	}
	if got, want := e.Concurrency, 16; got != want {
		t.Errorf("concurrency = %d, want %d (a plain ${VAR} is re-typed)", got, want)
	}
	if got, want := e.RequestsPerSecond, 0.0; got != want {
		t.Errorf("requests_per_second = %g, want %g", got, want)
	}
	if got, want := e.Timeout.String(), "30s"; got != want {
		t.Errorf("timeout = %s, want %s", got, want)
	}
	if got, want := e.Key().Reveal(), plantedKey; got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
	sg := e.IntegrationSecrets("sendgrid")
	if got, want := sg["api_key"].Reveal(), vars["SENDGRID"]; got != want {
		t.Errorf("sendgrid api_key = %q, want %q (a value cannot change the structure)", got, want)
	}
	if got, want := sg["from_name"].Reveal(), "Ops $ Team"; got != want {
		t.Errorf("from_name = %q, want %q", got, want)
	}
	w, _ := c.Workspace("acme")
	if got, want := w.Slug, "acme-corp"; got != want {
		t.Errorf("slug = %q, want %q", got, want)
	}
	if got, want := w.Include, []string{"contracts"}; !reflect.DeepEqual(got, want) {
		t.Errorf("include = %q, want %q", got, want)
	}
	// from_name is written in the file, so it draws a warning; the values
	// from the environment do not.
	if got, want := len(c.Warnings), 1; got != want {
		t.Fatalf("warnings = %q, want %d", c.Warnings, want)
	}
	if !strings.Contains(c.Warnings[0], "secrets.sendgrid.from_name") {
		t.Errorf("warning = %q, want one about from_name", c.Warnings[0])
	}
}

func TestExpandQuotedStaysString(t *testing.T) {
	doc := strings.Replace(baseConfig, "concurrency: 8", `concurrency: "${N}"`, 1)
	_, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(map[string]string{"N": "4", "STAGE_KEY": plantedKey})})
	if err == nil || !strings.Contains(err.Error(), `config.yaml:11: environments.production.concurrency: expected a whole number, got "4"`) {
		t.Fatalf("err = %v, want a type error at line 11", err)
	}
}

func TestExpandKeysAreNotExpanded(t *testing.T) {
	doc := strings.Replace(baseConfig, "  stage:", "  ${STAGE_NAME}:", 1)
	_, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(map[string]string{"STAGE_KEY": plantedKey, "STAGE_NAME": "stage"})})
	if err == nil || !strings.Contains(err.Error(), `config.yaml:19: environments["${STAGE_NAME}"]: "${STAGE_NAME}" is not a valid environment name`) {
		t.Fatalf("err = %v, want the key kept as written", err)
	}
}

func TestExpandLiteralBlockLine(t *testing.T) {
	doc := strings.Replace(baseConfig, "    api_key: ${STAGE_KEY}\n", "    api_key: |\n      first\n      ${NOPE}\n", 1)
	_, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), "config.yaml:23: environments.stage.api_key: ${NOPE} is not set") {
		t.Fatalf("err = %v, want the line of ${NOPE} inside the block", err)
	}
}

func TestNoExpand(t *testing.T) {
	c, err := Parse(strings.NewReader(baseConfig), "config.yaml", Options{NoExpand: true, LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := c.Environments["stage"].APIKey.Reveal(), "${STAGE_KEY}"; got != want {
		t.Errorf("api_key = %q, want %q kept as written", got, want)
	}
	want := []string{
		"config.yaml:21: environments.stage.api_key: the API key is written in the config file; move it to api_key_file, a systemd credential or ${VAR}",
		"config.yaml:21: environments.stage.api_key: the key does not look like an Enspace API key (en. followed by 34 letters and digits); using it anyway",
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", c.Warnings, want)
	}
}

func TestLiteralKeyWarning(t *testing.T) {
	doc := strings.Replace(baseConfig, "${STAGE_KEY}", plantedKey, 1)
	c := mustParse(t, doc, nil)
	if got, want := c.Warnings, []string{"config.yaml:21: environments.stage.api_key: the API key is written in the config file; move it to api_key_file, a systemd credential or ${VAR}"}; !reflect.DeepEqual(got, want) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
	for _, w := range c.Warnings {
		assertNoSecret(t, "warning", w)
	}
}

func TestUnsetVariablesAllReported(t *testing.T) {
	doc := strings.Replace(baseConfig, "base_url: https://api.leif.enspace.io", "base_url: ${BASE}", 1)
	_, err := Parse(strings.NewReader(doc), "config.yaml", Options{LookupEnv: env(nil)})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.String())
	}
	want := []string{
		"config.yaml:9: environments.production.base_url: ${BASE} is not set (set it, give a default with ${BASE:-value}, or write $${BASE} for a literal)",
		"config.yaml:21: environments.stage.api_key: ${STAGE_KEY} is not set (set it, give a default with ${STAGE_KEY:-value}, or write $${STAGE_KEY} for a literal)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%q\nwant:\n%q", got, want)
	}
}
