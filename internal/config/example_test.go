package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const examplePath = "../../config.example.yaml"

// TestExampleLoads loads config.example.yaml as the service would, with
// $CREDENTIALS_DIRECTORY a temporary directory holding the key files it
// names.
func TestExampleLoads(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	creds := t.TempDir()
	text := string(data)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"ENSPACE_STAGE_API_KEY": plantedKey, "CREDENTIALS_DIRECTORY": creds}
	c, err := Parse(strings.NewReader(text), path, Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Parse(config.example.yaml): %v", err)
	}
	// Create every file the example names, then load it for real.
	var files []string
	for _, e := range c.Environments {
		if e.APIKeyFile != "" {
			files = append(files, c.keyPath(e.APIKeyFile))
		}
		for _, values := range e.Secrets {
			for name, v := range values {
				if isFileName(name) {
					files = append(files, c.keyPath(v.Reveal()))
				}
			}
		}
	}
	if len(files) < 3 {
		t.Fatalf("files named = %q, want the production key and two integration secrets", files)
	}
	for _, f := range files {
		if filepath.Dir(f) != creds {
			t.Fatalf("%s is outside the credentials directory", f)
		}
		if err := os.WriteFile(f, []byte(plantedFileKey+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	c, err = Load(path, Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Load(config.example.yaml): %v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", c.Warnings)
	}
	if got, want := c.Environments["production"].Key().Reveal(), plantedFileKey; got != want {
		t.Errorf("production key = %q, want %q", got, want)
	}
	if got, want := c.Environments["stage"].Key().Reveal(), plantedKey; got != want {
		t.Errorf("stage key = %q, want %q", got, want)
	}
	if got, want := len(c.Workspaces), 2; got != want {
		t.Errorf("workspaces = %d, want %d", got, want)
	}
}

// TestExampleHasEveryKey walks the yaml tags of Config and checks that each
// key appears in config.example.yaml, as a key or in a comment.
func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	collectKeys(reflect.TypeOf(Config{}), "", keys)
	if len(keys) < 25 {
		t.Fatalf("found %d keys, want the whole struct", len(keys))
	}
	for path := range keys {
		name := path[strings.LastIndexByte(path, '.')+1:]
		re := regexp.MustCompile(`(?m)(^|[\s{#,-])` + regexp.QuoteMeta(name) + `:`)
		if !re.Match(data) {
			t.Errorf("config.example.yaml lacks the key %s (%q)", path, name)
		}
	}
}

// collectKeys adds the yaml key paths of t to keys.
func collectKeys(t reflect.Type, prefix string, keys map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == durationType {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		keys[path] = true
		collectKeys(t.Field(i).Type, path, keys)
	}
}
