package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOffsiteStaleAfter: stale_after takes a duration (default 0, never)
// and refuses a negative one, naming the key.
func TestOffsiteStaleAfter(t *testing.T) {
	dir := t.TempDir()
	for name, value := range map[string]string{"key": "en.abcdefghijklmnopqrstuvwxyz01234567", "pw": "pw-Secret-1"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func(extra string) (*Config, error) {
		text := offsiteBase + "offsite:\n  - name: nas\n    url: file:///mnt/nas/enspace\n    password_file: pw\n" + extra
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, Options{LookupEnv: env(nil)})
	}
	c, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Offsite[0].StaleAfter != 0 {
		t.Errorf("default stale_after = %s, want 0", c.Offsite[0].StaleAfter)
	}
	if c, err = load("    stale_after: 26h\n"); err != nil || c.Offsite[0].StaleAfter != 26*time.Hour {
		t.Errorf("stale_after: 26h gives %v, %v", c, err)
	}
	if _, err := load("    stale_after: -1h\n"); err == nil || !strings.Contains(err.Error(), "offsite[0].stale_after") {
		t.Errorf("stale_after: -1h gives %v, want an error naming offsite[0].stale_after", err)
	}
}
