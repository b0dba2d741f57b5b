package config

import (
	"bytes"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/api"

	"gopkg.in/yaml.v3"
)

// Redacted returns the effective configuration, defaults filled in, as
// YAML for `enspace-sync config check`. Every secret prints as [redacted]:
// api_key, and each integration secret value; file paths (api_key_file,
// *_file, an offsite target's files) are kept, as written when they came
// from ${VAR} ("${NAS_PW}", whose value may be the secret itself). Keys
// read from files are never part of it.
func (c *Config) Redacted() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c.asWritten()); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// asWritten returns a copy of c whose file paths that came from ${VAR}
// are the text as written. Only what Redacted prints is copied.
func (c *Config) asWritten() *Config {
	named := c.source().named
	if len(named) == 0 {
		return c
	}
	out := *c
	out.Environments = make(map[string]*Environment, len(c.Environments))
	for name, e := range c.Environments {
		if e == nil {
			out.Environments[name] = nil
			continue
		}
		ec := *e
		ec.APIKeyFile = e.KeyFileName()
		ec.Secrets = make(map[string]SecretValues, len(e.Secrets))
		for slug, values := range e.Secrets {
			vc := make(SecretValues, len(values))
			for sn, v := range values {
				if raw, ok := named[secretPath(name, slug, sn)]; ok && isFileName(sn) {
					v = api.Secret(raw)
				}
				vc[sn] = v
			}
			ec.Secrets[slug] = vc
		}
		out.Environments[name] = &ec
	}
	out.Offsite = make([]*Offsite, len(c.Offsite))
	for i, o := range c.Offsite {
		if o == nil {
			continue
		}
		oc := *o
		path := indexPath("offsite", i)
		for _, f := range oc.fileFields(nil) {
			if raw, ok := named[path+"."+f.key]; ok {
				*f.file = raw
			}
		}
		out.Offsite[i] = &oc
	}
	return &out
}
