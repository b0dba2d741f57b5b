package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Redacted returns the effective configuration, defaults filled in, as
// YAML for `enspace-sync config check`. Every secret prints as [redacted]:
// api_key, and each integration secret value; file paths (api_key_file,
// *_file) are kept. Keys read from files are never part of it.
func (c *Config) Redacted() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}
