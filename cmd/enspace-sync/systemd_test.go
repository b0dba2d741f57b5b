package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "../../systemd/enspace-sync.service"

// TestSystemdUnit checks systemd/enspace-sync.service with systemd-analyze:
// verify must print nothing, and the offline security review must rate its
// exposure 2.0 or less. It skips where systemd-analyze is missing (.ci/run
// installs it).
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type=notify", "WatchdogSec=", "StateDirectory=enspace-sync", "RuntimeDirectory=enspace-sync", "LoadCredential=",
		"ExecStart=/usr/local/bin/enspace-sync run ", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	// verify wants ExecStart's program to exist: point it at this test binary.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "enspace-sync.service")
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/enspace-sync", self)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security --threshold=20: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for enspace-sync.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	exposure, _ := strconv.ParseFloat(string(m[1]), 64)
	if exposure > 2.0 {
		t.Errorf("exposure %.1f, want 2.0 or less:\n%s", exposure, out)
	}
	t.Logf("systemd-analyze security: exposure %.1f", exposure)
}
