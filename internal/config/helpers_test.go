package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plantedKey and plantedFileKey are well-formed keys that must never show
// up in an error, a warning or Redacted output.
const (
	plantedKey     = "en.PLANTEDkey0123456789abcdefghijklmn"
	plantedFileKey = "en.FILEkey0123456789abcdefghijklmnopq"
	plantedToken   = "certisign-token-PLANTED-42"
)

// env returns a LookupEnv over a fixed map.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// baseConfig is a valid configuration; tests edit single lines of it, so
// the line numbers in the comments matter.
const baseConfig = `database: /tmp/enspace-sync.db
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
    timeout: 60s
    routes:
      items.list: /ws/types/{type}/records
    secrets:
      certisign: {token_file: cert.token}
  stage:
    base_url: https://api-develop.enspace.io
    api_key: ${STAGE_KEY}
workspaces:
  - name: acme
    environment: production
    slug: acme
    schedule: "0 */6 * * *"
    include: [contracts, items]
    exclude: [request-logs]
    retention: {keep_last: 10, keep_daily: 14, keep_weekly: 8, keep_monthly: 12}
  - name: beta
    environment: stage
`

// baseEnv is the environment baseConfig expects.
func baseEnv() map[string]string { return map[string]string{"STAGE_KEY": plantedKey} }

// keyFile is a file to create next to the config, with its mode.
type keyFile struct {
	content string
	mode    os.FileMode
	dir     bool
}

// baseFiles are the key files baseConfig names.
func baseFiles() map[string]keyFile {
	return map[string]keyFile{
		"prod.key":   {content: plantedFileKey + "\n", mode: 0o600},
		"cert.token": {content: plantedToken, mode: 0o400},
	}
}

// writeTree writes config.yaml and files into a new temporary directory
// and returns the config's path.
func writeTree(t *testing.T, config string, files map[string]keyFile) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range files {
		p := filepath.Join(dir, name)
		if f.dir {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replace returns s with old replaced once, failing the test when old is
// missing so a table row cannot silently test the base config.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("base config has no %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

// assertNoSecret fails when text holds a planted secret.
func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{plantedKey, plantedFileKey, plantedToken} {
		if strings.Contains(text, s) {
			t.Errorf("%s holds a planted secret %q:\n%s", what, s, text)
		}
	}
}

func mustParse(t *testing.T, config string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse(strings.NewReader(config), "config.yaml", Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}
