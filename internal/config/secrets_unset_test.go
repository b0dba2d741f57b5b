package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// unsetVarConfig is baseConfig whose stage key, production integration
// token file and first offsite target's password file come from variables
// the tests leave unset; the second target's password file is fine.
func unsetVarConfig(t *testing.T) string {
	t.Helper()
	doc := replace(t, baseConfig, "{token_file: cert.token}", `{token_file: "${TOKEN_FILE}"}`)
	doc += "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW_FILE}'}\n  - {name: usb, url: 'file:///srv/usb', password_file: usb.pw}\n"
	files := baseFiles()
	files["usb.pw"] = keyFile{content: "usb-Secret-Password", mode: 0o600}
	return writeTree(t, doc, files)
}

// TestUnsetSecretVariableOnUse: with SecretsOnUse, a ${VAR} left unset in
// a key, an integration secret or a target's password file is that item's
// problem, as a file that cannot be read is: Load succeeds, the problem
// is warned about once, naming the field and the variable, and the other
// items are usable. Without the option, Load lists every such problem.
func TestUnsetSecretVariableOnUse(t *testing.T) {
	path := unsetVarConfig(t)
	c, err := Load(path, Options{LookupEnv: env(nil), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
	}
	prod, stage := c.Environments["production"], c.Environments["stage"]
	wantStage := path + ":21: environments.stage.api_key: ${STAGE_KEY} is not set (set it, give a default with ${STAGE_KEY:-value}, or write $${STAGE_KEY} for a literal)"
	if err := stage.KeyErr(); err == nil || err.Error() != wantStage || !errors.Is(err, ErrUnsetVariable) {
		t.Errorf("stage: KeyErr = %v, want %q (ErrUnsetVariable)", err, wantStage)
	}
	if err := prod.KeyErr(); err != nil || prod.Key().Reveal() != plantedFileKey {
		t.Errorf("production: KeyErr = %v, key read = %v; want the key", err, prod.Key() != "")
	}
	wantToken := path + ":18: environments.production.secrets.certisign.token_file: ${TOKEN_FILE} is not set"
	if err := prod.IntegrationSecretsErr(); err == nil || !strings.HasPrefix(err.Error(), wantToken) {
		t.Errorf("production: IntegrationSecretsErr = %v, want %q", err, wantToken)
	}
	nas, _ := c.OffsiteTarget("nas")
	usb, _ := c.OffsiteTarget("usb")
	wantNas := path + ":33: offsite[0].password_file: ${NAS_PW_FILE} is not set"
	if err := nas.SecretsErr(); err == nil || !strings.HasPrefix(err.Error(), wantNas) || !errors.Is(err, ErrUnsetVariable) {
		t.Errorf("nas: SecretsErr = %v, want %q", err, wantNas)
	}
	if err := usb.SecretsErr(); err != nil || usb.Password().Reveal() != "usb-Secret-Password" {
		t.Errorf("usb: SecretsErr = %v; want its password read", err)
	}
	warnings := strings.Join(c.Warnings, "\n")
	for _, want := range []string{
		wantStage + ` (commands that reach environment "stage" fail; run enspace-sync config check after fixing it)`,
		wantToken,
		wantNas,
		`(offsite target "nas" cannot be used; run enspace-sync config check after fixing it)`,
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if len(c.Warnings) != 3 {
		t.Errorf("%d warnings, want 3:\n%s", len(c.Warnings), warnings)
	}

	// Without the option Load fails, listing all three (and only them).
	_, err = Load(path, Options{LookupEnv: env(nil)})
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 3 || !errors.Is(err, ErrUnsetVariable) {
		t.Fatalf("Load = %v, want the three unset variables", err)
	}
	for _, want := range []string{wantStage, wantToken, wantNas} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error lacks %q:\n%v", want, err)
		}
	}
	// Parse alone, without the option, refuses them as it always did.
	if _, err := Parse(strings.NewReader(baseConfig), "config.yaml", Options{LookupEnv: env(nil)}); !errors.Is(err, ErrUnsetVariable) {
		t.Errorf("Parse = %v, want ErrUnsetVariable", err)
	}
	// NoSecrets needs none of them.
	if _, err := Load(path, Options{LookupEnv: env(nil), NoSecrets: true}); err != nil {
		t.Errorf("Load with NoSecrets: %v", err)
	}
}

// TestUnsetVariableOutsideSecrets: only a secret field's unset ${VAR} is
// deferred; in any other field it fails Load, SecretsOnUse or not, and a
// failed Load lists the deferred ones too.
func TestUnsetVariableOutsideSecrets(t *testing.T) {
	doc := replace(t, baseConfig, "base_url: https://api-develop.enspace.io", "base_url: ${STAGE_URL}")
	doc += "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW_FILE}', schedule: '${PUSH_AT}'}\n"
	path := writeTree(t, doc, baseFiles())
	_, err := Load(path, Options{LookupEnv: env(baseEnv()), SecretsOnUse: true})
	for _, want := range []string{
		"config.yaml:20: environments.stage.base_url: ${STAGE_URL} is not set",
		"config.yaml:33: offsite[0].password_file: ${NAS_PW_FILE} is not set",
		"config.yaml:33: offsite[0].schedule: ${PUSH_AT} is not set",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "required") {
		t.Errorf("Load asks for the unset password file as if it were missing:\n%v", err)
	}
	// A notification URL belongs to no item: its unset ${VAR} fails Load.
	doc = replace(t, baseConfig, "timezone: UTC", "timezone: UTC\nnotify: {webhook_url: '${HOOK}'}")
	if _, err := Load(writeTree(t, doc, baseFiles()), Options{LookupEnv: env(baseEnv()), SecretsOnUse: true}); err == nil || !strings.Contains(err.Error(), "notify.webhook_url: ${HOOK} is not set") {
		t.Errorf("Load = %v, want the webhook's unset variable", err)
	}
}

// TestFileNamedByVariable: a key, secret or password file whose path came
// from ${VAR} is called "the file named by ${VAR}" in every message, and
// config check prints the reference as written: the variable may hold the
// secret itself (a common mistake), which must show nowhere.
func TestFileNamedByVariable(t *testing.T) {
	const (
		nasPW   = "nas-Password-Value-31"
		prodKey = "prod-Key-Value-77"
		token   = "cert-Token-Value-55"
	)
	doc := replace(t, baseConfig, "api_key_file: prod.key", "api_key_file: ${PROD_KEY}")
	doc = replace(t, doc, "{token_file: cert.token}", `{token_file: "${TOKEN}"}`)
	doc += "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW}'}\n"
	path := writeTree(t, doc, nil)
	vars := map[string]string{"NAS_PW": nasPW, "PROD_KEY": prodKey, "TOKEN": token, "STAGE_KEY": plantedKey}
	noValue := func(what, text string) {
		t.Helper()
		for _, s := range []string{nasPW, prodKey, token} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the value %q:\n%s", what, s, text)
			}
		}
		assertNoSecret(t, what, text)
	}

	_, err := Load(path, Options{LookupEnv: env(vars)})
	if err == nil {
		t.Fatal("Load succeeded with three missing files")
	}
	noValue("Load error", err.Error())
	for _, want := range []string{
		"config.yaml:10: environments.production.api_key_file: cannot read the file named by ${PROD_KEY}: no such file or directory (${PROD_KEY} must hold the file's path, not the secret itself; a running daemon sees a changed variable only after a restart)",
		"config.yaml:18: environments.production.secrets.certisign.token_file: cannot read the file named by ${TOKEN}: no such file or directory",
		"config.yaml:33: offsite[0].password_file: cannot read the file named by ${NAS_PW}: no such file or directory",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error lacks %q:\n%v", want, err)
		}
	}

	c, err := Load(path, Options{LookupEnv: env(vars), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
	}
	if len(c.Warnings) != 3 {
		t.Errorf("%d warnings, want 3:\n%s", len(c.Warnings), strings.Join(c.Warnings, "\n"))
	}
	noValue("warnings", strings.Join(c.Warnings, "\n"))
	nas, _ := c.OffsiteTarget("nas")
	noValue("SecretsErr", fmt.Sprint(nas.SecretsErr()))
	noValue("KeyErr", fmt.Sprint(c.Environments["production"].KeyErr()))
	noValue("IntegrationSecretsErr", fmt.Sprint(c.Environments["production"].IntegrationSecretsErr()))
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	noValue("Redacted", string(out))
	for _, want := range []string{"api_key_file: ${PROD_KEY}", "token_file: ${TOKEN}", "password_file: ${NAS_PW}"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Redacted lacks %q:\n%s", want, out)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		noValue("fmt "+verb, fmt.Sprintf(verb, c.Environments["production"]))
		noValue("fmt "+verb, fmt.Sprintf(verb, *c))
	}
	if got := c.Environments["production"].KeyFileName(); got != "${PROD_KEY}" {
		t.Errorf("KeyFileName = %q, want ${PROD_KEY}", got)
	}
	// The config itself is unchanged: the path is the variable's value.
	if c.Offsite[0].PasswordFile != nasPW {
		t.Errorf("PasswordFile = %q, want the variable's value", c.Offsite[0].PasswordFile)
	}
}

// TestFileNamedByVariableChmod: the chmod hint of a file named by ${VAR}
// that others can read lets the shell expand the variable; a relative
// name starts from the config's directory.
func TestFileNamedByVariableChmod(t *testing.T) {
	doc := replace(t, baseConfig, "api_key_file: prod.key", "api_key_file: ${PROD_KEY}")
	files := baseFiles()
	files["prod.key"] = keyFile{content: plantedFileKey, mode: 0o644}
	path := writeTree(t, doc, files)
	dir := path[:len(path)-len("/config.yaml")]
	_, err := Load(path, Options{LookupEnv: env(map[string]string{"PROD_KEY": "prod.key", "STAGE_KEY": plantedKey})})
	want := fmt.Sprintf(`environments.production.api_key_file: the file named by ${PROD_KEY} can be read by its group or others (mode 0644): run chmod 600 "%s/${PROD_KEY:?}"`, dir)
	if !errors.Is(err, ErrInsecureKeyFile) || !strings.Contains(err.Error(), want) {
		t.Errorf("Load = %v, want %q", err, want)
	}
	if strings.Contains(err.Error(), "prod.key") {
		t.Errorf("Load error names the file:\n%v", err)
	}
	_, err = Load(path, Options{LookupEnv: env(map[string]string{"PROD_KEY": dir + "/prod.key", "STAGE_KEY": plantedKey})})
	if want := `run chmod 600 "${PROD_KEY:?}"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load = %v, want %q", err, want)
	}
}
