package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExampleConfigCheck runs "config check" on config.example.yaml once the
// files and variables it names exist: as the service reads it (key files
// in $CREDENTIALS_DIRECTORY) and as root's commands read it (key files next
// to the config, as "Running as a service" in the README installs them).
func TestExampleConfigCheck(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"production", "certisign-token", "sendgrid-key"}
	for _, mode := range []string{"service", "root"} {
		t.Run(mode, func(t *testing.T) {
			etc, creds := t.TempDir(), t.TempDir()
			keyDir := etc
			vars := map[string]string{"ENSPACE_STAGE_API_KEY": "en.stage0000000000000000000000000000000"[:37], "CREDENTIALS_DIRECTORY": ""}
			if mode == "service" {
				keyDir = creds
				vars["CREDENTIALS_DIRECTORY"] = creds
			}
			t.Setenv("CREDENTIALS_DIRECTORY", vars["CREDENTIALS_DIRECTORY"])
			config := filepath.Join(etc, "config.yaml")
			if err := os.WriteFile(config, example, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(keyDir, f), []byte("en.file0000000000000000000000000000000"[:37]+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out, errOut bytes.Buffer
			m := NewMain()
			m.Stdout, m.Stderr = &out, &errOut
			m.Getenv = func(k string) string { return vars[k] }
			err := m.Run(context.Background(), []string{"config", "check", "--config", config})
			if code := m.ReportError(err); code != ExitOK {
				t.Fatalf("config check exit %d:\n%s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "valid (2 environments, 2 workspaces)") || strings.Contains(errOut.String(), "warning") {
				t.Errorf("stderr:\n%s", errOut.String())
			}
		})
	}
}

// TestExampleMatchesService checks that config.example.yaml, the unit and
// the README's systemd steps name the same key files and database.
func TestExampleMatchesService(t *testing.T) {
	read := func(path string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	example, unit, readme := read("config.example.yaml"), read("systemd/enspace-sync.service"), read("README.md")
	creds := regexp.MustCompile(`(?m)^#? ?LoadCredential=([a-z-]+):(/etc/enspace-sync/[a-z-]+)$`).FindAllStringSubmatch(unit, -1)
	if len(creds) != 3 {
		t.Fatalf("unit: LoadCredential= lines %q, want production, certisign-token, sendgrid-key", creds)
	}
	for _, c := range creds {
		if filepath.Base(c[2]) != c[1] {
			t.Errorf("unit: credential %s comes from %s: name them alike", c[1], c[2])
		}
		if !regexp.MustCompile(`_file: ` + c[1] + `\b`).MatchString(example) {
			t.Errorf("config.example.yaml does not read the credential %s", c[1])
		}
	}
	for _, want := range []string{"LoadCredential=production:/etc/enspace-sync/production", "/etc/enspace-sync/production", "StateDirectory=", "/var/lib/enspace-sync/enspace-sync.db"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
	if !strings.Contains(unit, "StateDirectory=enspace-sync\n") || !strings.Contains(example, "\ndatabase: /var/lib/enspace-sync/enspace-sync.db\n") {
		t.Error("the unit's state directory and the example's database differ")
	}
	if !strings.Contains(unit, "--config /etc/enspace-sync/config.yaml") {
		t.Error("the unit does not read /etc/enspace-sync/config.yaml")
	}
}
