package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// A key file that cannot be read in $CREDENTIALS_DIRECTORY (LoadCredential=,
// copied when the service starts) says that a restart, not a reload,
// reads it again.
func TestSecretsOnUseCredentialNeedsRestart(t *testing.T) {
	path := onUseConfig(t)
	c, err := Load(path, Options{LookupEnv: env(map[string]string{"CREDENTIALS_DIRECTORY": filepath.Dir(path)}), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Environments["stage"].KeyErr(); err == nil || !strings.Contains(err.Error(), "restart the service") {
		t.Errorf("KeyErr = %v, want it to say that a restart reads it again", err)
	}
	c, err = Load(path, Options{LookupEnv: env(nil), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Environments["stage"].KeyErr(); err == nil || strings.Contains(err.Error(), "restart") {
		t.Errorf("KeyErr = %v, want no restart hint outside $CREDENTIALS_DIRECTORY", err)
	}
}
