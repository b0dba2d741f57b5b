package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLoadFileErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config: open ") {
		t.Errorf("Load(absent) = %v, want a wrapped fs.ErrNotExist", err)
	}
	dir := t.TempDir()
	if _, err := Load(dir, Options{}); err == nil || err.Error() != fmt.Sprintf("read config: %s is a directory", dir) {
		t.Errorf("Load(dir) = %v, want a directory error", err)
	}
	big := writeTree(t, strings.Repeat("#", MaxFileSize+1), nil)
	_, err = Load(big, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "config.yaml: larger than 1048576 bytes") {
		t.Errorf("Load(big) = %v, want ErrTooLarge", err)
	}
}

func TestLoadWarnsAboutReadableFileWithSecret(t *testing.T) {
	doc := replace(t, baseConfig, "${STAGE_KEY}", plantedKey)
	path := writeTree(t, doc, baseFiles())
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := fmt.Sprintf("%s: the file holds a secret and can be read by its group or others (mode 0644): run chmod 600 %s", path, path)
	if got := strings.Join(c.Warnings, "\n"); !strings.Contains(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	// The same file with the key from the environment holds no secret.
	path = writeTree(t, baseConfig, baseFiles())
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Load(path, Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", c.Warnings)
	}
}

// TestAliasBudget checks that a document whose aliases multiply is refused
// quickly instead of walked node by node.
func TestAliasBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("environments: {p: {base_url: 'https://x.io', api_key_file: /k}}\nworkspaces:\n  - &w\n    name: a\n    environment: p\n    include: [")
	for i := 0; i < 2000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("items")
	}
	b.WriteString("]\n")
	for i := 0; i < 2000; i++ {
		b.WriteString("  - *w\n")
	}
	_, err := Parse(strings.NewReader(b.String()), "config.yaml", Options{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too large once its aliases are expanded") {
		t.Errorf("Parse = %v, want the alias budget error", err)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(iotest.ErrReader(boom), "config.yaml", Options{})
	if !errors.Is(err, boom) {
		t.Errorf("Parse = %v, want the read error wrapped", err)
	}
}
