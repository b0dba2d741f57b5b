//go:build unix

package config

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestKeyFileFIFO checks that a FIFO is refused without blocking on open.
func TestKeyFileFIFO(t *testing.T) {
	path := writeTree(t, baseConfig, map[string]keyFile{"cert.token": {content: plantedToken, mode: 0o600}})
	if err := syscall.Mkfifo(filepath.Join(filepath.Dir(path), "prod.key"), 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	_, err := Load(path, Options{LookupEnv: env(baseEnv())})
	if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "prod.key is not a regular file") {
		t.Errorf("Load = %v, want a FIFO refused", err)
	}
}
