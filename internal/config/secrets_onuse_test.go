package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// onUseConfig is baseConfig with a stage key file that is missing and two
// offsite targets, one of whose password file is missing.
func onUseConfig(t *testing.T) string {
	t.Helper()
	doc := replace(t, baseConfig, "    api_key: ${STAGE_KEY}\n", "    api_key_file: stage.key\n")
	doc += "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: nas.pw}\n  - {name: usb, url: 'file:///srv/usb', password_file: usb.pw}\n"
	files := baseFiles()
	files["usb.pw"] = keyFile{content: "usb-Secret-Password", mode: 0o600}
	return writeTree(t, doc, files)
}

// TestSecretsOnUse: with SecretsOnUse a missing key or password file does
// not fail Load; its problem stays with its environment or target, is
// warned about once, and the others are usable.
func TestSecretsOnUse(t *testing.T) {
	path := onUseConfig(t)
	dir := filepath.Dir(path)
	c, err := Load(path, Options{LookupEnv: env(nil), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
	}
	prod, stage := c.Environments["production"], c.Environments["stage"]
	if err := prod.KeyErr(); err != nil || prod.Key().Reveal() != plantedFileKey {
		t.Errorf("production: KeyErr = %v, key read = %v; want the key", err, prod.Key() != "")
	}
	if err := prod.IntegrationSecretsErr(); err != nil {
		t.Errorf("production: IntegrationSecretsErr = %v", err)
	}
	wantStage := fmt.Sprintf("%s:21: environments.stage.api_key_file: cannot read %s/stage.key: no such file or directory", path, dir)
	if err := stage.KeyErr(); err == nil || err.Error() != wantStage || !errors.Is(err, ErrKeyFile) {
		t.Errorf("stage: KeyErr = %v, want %q (ErrKeyFile)", err, wantStage)
	}
	nas, _ := c.OffsiteTarget("nas")
	usb, _ := c.OffsiteTarget("usb")
	wantNas := fmt.Sprintf("%s:33: offsite[0].password_file: cannot read %s/nas.pw: no such file or directory", path, dir)
	if err := nas.SecretsErr(); err == nil || err.Error() != wantNas {
		t.Errorf("nas: SecretsErr = %v, want %q", err, wantNas)
	}
	if err := usb.SecretsErr(); err != nil || usb.Password().Reveal() != "usb-Secret-Password" {
		t.Errorf("usb: SecretsErr = %v; want its password read", err)
	}
	want := []string{
		wantStage + ` (commands that reach environment "stage" fail; run enspace-sync config check after fixing it)`,
		wantNas + ` (offsite target "nas" cannot be used; run enspace-sync config check after fixing it)`,
	}
	if strings.Join(c.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warnings, "\n"), strings.Join(want, "\n"))
	}

	// Without the option every problem still fails Load, all in one error.
	_, err = Load(path, Options{LookupEnv: env(nil)})
	if err == nil || err.Error() != wantStage+"\n"+wantNas {
		t.Errorf("Load = %v, want both problems", err)
	}
}

// TestSecretsOnUseScrubbed: a problem kept with its item is scrubbed of
// secrets as the whole error is, and integration secret problems are
// apart from the key's.
func TestSecretsOnUseScrubbed(t *testing.T) {
	doc := replace(t, baseConfig, "{token_file: cert.token}", "{token_file: "+plantedFileKey+"}")
	path := writeTree(t, doc, map[string]keyFile{"prod.key": {content: plantedFileKey, mode: 0o600}})
	c, err := Load(path, Options{LookupEnv: env(baseEnv()), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	prod := c.Environments["production"]
	if err := prod.KeyErr(); err != nil {
		t.Errorf("KeyErr = %v, want nil", err)
	}
	err = prod.IntegrationSecretsErr()
	if err == nil || !strings.Contains(err.Error(), "certisign.token_file: cannot read") {
		t.Fatalf("IntegrationSecretsErr = %v, want the token file's problem", err)
	}
	assertNoSecret(t, "IntegrationSecretsErr", err.Error())
	for _, w := range c.Warnings {
		assertNoSecret(t, "warning", w)
	}
}

// TestSecretsOnUseOtherProblemsFail: only key and secret files are
// deferred; any other problem of the config still fails Load.
func TestSecretsOnUseOtherProblemsFail(t *testing.T) {
	doc := replace(t, baseConfig, `schedule: "0 */6 * * *"`, `schedule: "sometimes"`)
	path := writeTree(t, doc, nil)
	if _, err := Load(path, Options{LookupEnv: env(baseEnv()), SecretsOnUse: true}); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("Load = %v, want the schedule's error", err)
	}
}
