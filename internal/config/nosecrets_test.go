package config

import (
	"errors"
	"strings"
	"testing"
)

// TestNoSecrets loads baseConfig with every secret missing: no ${STAGE_KEY},
// ${HOOK} or ${TOKEN}, no key file, no token file. A full Load names each;
// Options.NoSecrets loads it, holding no key, and still refuses a ${VAR}
// unset outside a secret and a bad value next to the secrets.
func TestNoSecrets(t *testing.T) {
	conf := replace(t, baseConfig, "timezone: UTC", "timezone: UTC\nnotify:\n  webhook_url: https://hooks.example.com/${HOOK}")
	conf = replace(t, conf, "{token_file: cert.token}", "{token: \"${TOKEN}\"}")
	conf = replace(t, conf, "api_key_file: prod.key", "api_key_file: ${CREDS}/prod.key")
	path := writeTree(t, conf, nil)

	_, err := Load(path, Options{LookupEnv: env(nil)})
	if !errors.Is(err, ErrUnsetVariable) {
		t.Fatalf("Load = %v, want ErrUnsetVariable", err)
	}
	for _, want := range []string{
		"config.yaml:8: notify.webhook_url: ${HOOK} is not set",
		"config.yaml:12: environments.production.api_key_file: ${CREDS} is not set",
		"config.yaml:20: environments.production.secrets.certisign.token: ${TOKEN} is not set",
		"config.yaml:23: environments.stage.api_key: ${STAGE_KEY} is not set",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error lacks %q:\n%v", want, err)
		}
	}

	c, err := Load(path, Options{LookupEnv: env(nil), NoSecrets: true})
	if err != nil {
		t.Fatalf("Load with NoSecrets: %v", err)
	}
	if !c.SecretsSkipped() || c.Environments["stage"].Key() != "" || c.Notify.WebhookURL != "" {
		t.Errorf("NoSecrets config: skipped=%v stage key=%q webhook=%q, want true, empty, empty",
			c.SecretsSkipped(), c.Environments["stage"].Key().Reveal(), c.Notify.WebhookURL.Reveal())
	}
	if err := c.ResolveSecrets(); err == nil {
		t.Error("ResolveSecrets on a NoSecrets config succeeded, want an error")
	}

	// A missing key file is no error either, with the variables set.
	vars := map[string]string{"HOOK": "x", "TOKEN": "t", "CREDS": "/nonexistent", "STAGE_KEY": plantedKey}
	if _, err := Load(path, Options{LookupEnv: env(vars)}); !errors.Is(err, ErrKeyFile) {
		t.Errorf("Load with a missing key file = %v, want ErrKeyFile", err)
	}
	if _, err := Load(path, Options{LookupEnv: env(vars), NoSecrets: true}); err != nil {
		t.Errorf("Load with NoSecrets and a missing key file: %v", err)
	}

	// Outside the secrets, an unset variable is an error still.
	bad := replace(t, conf, "timeout: 60s", "timeout: ${TIMEOUT}")
	_, err = Load(writeTree(t, bad, nil), Options{LookupEnv: env(nil), NoSecrets: true})
	for _, want := range []string{
		"config.yaml:16: environments.production.timeout: ${TIMEOUT} is not set",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load with NoSecrets = %v, want %q", err, want)
		}
	}
	if err == nil || strings.Contains(err.Error(), "STAGE_KEY") || strings.Contains(err.Error(), "HOOK") {
		t.Errorf("Load with NoSecrets = %v, want no word of the secrets", err)
	}
}
