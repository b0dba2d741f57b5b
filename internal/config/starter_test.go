package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteStarter writes the starter config, loads it as a command would,
// and checks the modes and that a second write changes nothing.
func TestWriteStarter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "enspace-sync")
	path := filepath.Join(dir, "config.yaml")
	s := Starter{BaseURL: "https://api.leif.enspace.io", Environment: "production", Workspace: "acme",
		Database: "/home/ana/.local/share/enspace-sync/enspace-sync.db"}
	if err := WriteStarter(path, s, []byte("  "+plantedFileKey+"\n")); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("Load(starter): %v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	w, err := c.Workspace("acme")
	if err != nil || w.Env().BaseURL != s.BaseURL || w.Env().Key().Reveal() != plantedFileKey || c.Database != s.Database || w.Slug != "acme" {
		t.Errorf("loaded %+v, %v", c, err)
	}
	for file, want := range map[string]os.FileMode{path: 0o600, filepath.Join(dir, "production.key"): 0o600, dir: 0o700} {
		fi, err := os.Stat(file)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", file, fi.Mode().Perm(), err, want)
		}
	}
	text, _ := os.ReadFile(path)
	if strings.Contains(string(text), plantedFileKey) {
		t.Error("the key is in the config file")
	}
	if !strings.Contains(string(text), "# base_url:") {
		t.Errorf("starter has no comments:\n%s", text)
	}
	err = WriteStarter(path, s, []byte("en.other"))
	if !errors.Is(err, ErrExists) {
		t.Errorf("second WriteStarter = %v, want ErrExists", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(text) {
		t.Error("the config was overwritten")
	}
	// The config gone, the key file left: still refused, and nothing written.
	os.Remove(path)
	if err := WriteStarter(path, s, []byte(plantedFileKey)); !errors.Is(err, ErrExists) {
		t.Errorf("WriteStarter over a key file = %v, want ErrExists", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("config written although the key file existed")
	}
}

// TestStarterRefusesBadAnswers: an answer that is not a valid value is
// refused before anything is written, and none can add keys to the file.
func TestStarterRefusesBadAnswers(t *testing.T) {
	good := Starter{BaseURL: "https://api.leif.enspace.io", Environment: "production", Workspace: "acme", KeyFile: "k", Database: "/db"}
	bad := []func(*Starter){
		func(s *Starter) { s.BaseURL = "not a url" },
		func(s *Starter) { s.Workspace = "acme\n    schedule: x" },
		func(s *Starter) { s.Workspace = "Acme Corp" },
		func(s *Starter) { s.Environment = "" },
		func(s *Starter) { s.KeyFile = " " },
	}
	for i, change := range bad {
		s := good
		change(&s)
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := WriteStarter(path, s, []byte(plantedFileKey)); err == nil {
			t.Errorf("case %d (%+v): no error", i, s)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("case %d: file written", i)
		}
	}
}

func TestUserDatabase(t *testing.T) {
	got, _ := UserDatabase(env(map[string]string{"HOME": "/home/ana"}))
	if got != "/home/ana/.local/share/enspace-sync/enspace-sync.db" {
		t.Errorf("UserDatabase = %q", got)
	}
	got, _ = UserDatabase(env(map[string]string{"HOME": "/home/ana", "XDG_DATA_HOME": "/data"}))
	if got != "/data/enspace-sync/enspace-sync.db" {
		t.Errorf("UserDatabase = %q", got)
	}
}

// FuzzStarter feeds arbitrary answers to the starter: either they are
// refused, or the file parses back to exactly those values, one
// environment and one workspace (no answer adds or changes a key).
func FuzzStarter(f *testing.F) {
	f.Add("https://api.leif.enspace.io", "production", "acme", "production.key", "/db")
	f.Add("http://127.0.0.1:8090", "local", "acme\n  schedule: x", "k: v", "/a b/#c")
	f.Add("https://x.api.enspace.io/\"", "p\"", "a'b", "${HOME}", "\x00")
	f.Fuzz(func(t *testing.T, baseURL, environment, workspace, keyFile, database string) {
		s := Starter{BaseURL: baseURL, Environment: environment, Workspace: workspace, KeyFile: keyFile, Database: database}
		text, err := s.Text()
		if err != nil {
			return
		}
		c, err := Parse(strings.NewReader(string(text)), "config.yaml", Options{NoExpand: true, NoSecrets: true})
		if err != nil {
			t.Fatalf("Text accepted what Parse refuses: %v\n%s", err, text)
		}
		if len(c.Environments) != 1 || len(c.Workspaces) != 1 {
			t.Fatalf("%d environments, %d workspaces:\n%s", len(c.Environments), len(c.Workspaces), text)
		}
		w := c.Workspaces[0]
		e := c.Environments[environment]
		if e == nil || w.Name != workspace || w.Slug != workspace || e.APIKeyFile != s.KeyFileName() || c.Database != database {
			t.Fatalf("parsed back other values:\n%s", text)
		}
	})
}

// TestWriteStarterSystem writes the service's layout: a config every user
// can read, the key named as the unit's credential, and the same config
// loading both for root (key next to it) and in the service (key in
// $CREDENTIALS_DIRECTORY).
func TestWriteStarterSystem(t *testing.T) {
	etc := filepath.Join(t.TempDir(), "enspace-sync")
	path := filepath.Join(etc, "config.yaml")
	s := Starter{BaseURL: "https://api.leif.enspace.io", Environment: "production", Workspace: "acme", Database: DefaultDatabase, System: true}
	if err := WriteStarter(path, s, []byte(plantedFileKey)); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]os.FileMode{path: 0o644, filepath.Join(etc, "production"): 0o600, etc: 0o755} {
		fi, err := os.Stat(file)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", file, fi.Mode().Perm(), err, want)
		}
	}
	if _, err := Load(path, Options{LookupEnv: env(nil)}); err != nil {
		t.Errorf("as root: %v", err)
	}
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, "production"), []byte(plantedFileKey), 0o400); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{LookupEnv: env(map[string]string{"CREDENTIALS_DIRECTORY": creds, "STATE_DIRECTORY": "/var/lib/enspace-sync"})})
	if err != nil || c.Database != DefaultDatabase {
		t.Errorf("in the service: %v, database %q", err, c.Database)
	}
}
