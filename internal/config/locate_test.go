package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocate(t *testing.T) {
	home := t.TempDir()
	xdg := t.TempDir()
	userFile := filepath.Join(home, ".config", "enspace-sync", "config.yaml")
	xdgFile := filepath.Join(xdg, "enspace-sync", "config.yaml")
	for _, f := range []string{userFile, xdgFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, flag string
		vars       map[string]string
		want       string
	}{
		{"the flag wins", "/from/flag.yaml", map[string]string{EnvConfigPath: "/from/env.yaml", "HOME": home}, "/from/flag.yaml"},
		{"then the variable, existing or not", "", map[string]string{EnvConfigPath: "/from/env.yaml", "HOME": home}, "/from/env.yaml"},
		{"then XDG_CONFIG_HOME", "", map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}, xdgFile},
		{"then ~/.config", "", map[string]string{"HOME": home}, userFile},
		{"a relative XDG_CONFIG_HOME is ignored", "", map[string]string{"HOME": home, "XDG_CONFIG_HOME": "rel"}, userFile},
		{"an empty variable is unset", "", map[string]string{EnvConfigPath: "", "HOME": home}, userFile},
	}
	for _, c := range cases {
		got, err := Locate(c.flag, env(c.vars))
		if err != nil || got != c.want {
			t.Errorf("%s: Locate(%q) = %q, %v; want %q", c.name, c.flag, got, err, c.want)
		}
	}
}

// TestLocateNotFound checks the error when no file exists: it names every
// place looked at, in order, and is an fs.ErrNotExist.
func TestLocateNotFound(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err == nil {
		t.Skipf("%s exists on this machine", DefaultPath)
	}
	home := t.TempDir()
	_, err := Locate("", env(map[string]string{"HOME": home}))
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Locate() error = %v, want a *NotFoundError", err)
	}
	want := "no config file found; looked in $ENSPACE_SYNC_CONFIG (unset), " +
		filepath.Join(home, ".config/enspace-sync/config.yaml") + ", /etc/enspace-sync/config.yaml"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if _, err := Locate("", env(map[string]string{})); err == nil || strings.Contains(err.Error(), ".config") {
		t.Errorf("without HOME: %v, want only the system-wide path", err)
	}
}

func TestUserPath(t *testing.T) {
	got, err := UserPath(env(map[string]string{"HOME": "/home/ana", "XDG_CONFIG_HOME": "/cfg"}))
	if err != nil || got != "/cfg/enspace-sync/config.yaml" {
		t.Errorf("UserPath = %q, %v", got, err)
	}
	got, err = UserPath(env(map[string]string{"HOME": "/home/ana"}))
	if err != nil || got != "/home/ana/.config/enspace-sync/config.yaml" {
		t.Errorf("UserPath = %q, %v", got, err)
	}
	if _, err := UserPath(env(map[string]string{})); err == nil {
		t.Error("UserPath without HOME: no error")
	}
}
