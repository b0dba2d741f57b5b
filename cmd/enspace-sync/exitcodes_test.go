package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestExitCodeTable walks the main error paths of the commands against the
// table in exitcodes.go: a bad command line (unknown flag, missing or extra
// argument, malformed snapshot reference, negative --keep-*) exits 2; a
// well-formed reference to something absent (unknown workspace, unknown
// snapshot, missing plan or export file) exits 1; an output path that
// exists (db backup, export, offsite restore-db) exits 2.
func TestExitCodeTable(t *testing.T) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", APIKeys: []fakeapi.Key{{Secret: fakeapi.DemoAPIKey, Scopes: []string{"read", "write", "delete"}}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, hs.URL, "")
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		m := NewMain()
		m.Stdout, m.Stderr, m.Stdin = &out, &errb, bytes.NewReader(nil)
		err := m.Run(context.Background(), args)
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		return m.ReportError(err), errb.String()
	}
	if code, out := run("backup", "--config", cfg); code != ExitOK {
		t.Fatalf("backup exited %d:\n%s", code, out)
	}
	missing := filepath.Join(dir, "missing")
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	const unknownSnap, badSnap = "deadbeef", "ab"
	c := "--config"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"frobnicate"}, ExitUsage},
		{"snapshots: unknown flag", []string{"snapshots", c, cfg, "--nope"}, ExitUsage},
		{"snapshots: unknown workspace", []string{"snapshots", c, cfg, "--workspace", "nope"}, ExitError},
		{"show: extra argument", []string{"show", c, cfg, "latest", "a", "b", "c"}, ExitUsage},
		{"show: unknown snapshot", []string{"show", c, cfg, unknownSnap}, ExitError},
		{"show: malformed snapshot", []string{"show", c, cfg, badSnap}, ExitUsage},
		{"show: unknown workspace", []string{"show", c, cfg, "--workspace", "nope", "latest"}, ExitError},
		{"diff: unknown snapshot", []string{"diff", c, cfg, unknownSnap, "latest"}, ExitError},
		{"diff: malformed snapshot", []string{"diff", c, cfg, badSnap, "latest"}, ExitUsage},
		{"verify: extra argument", []string{"verify", c, cfg, unknownSnap}, ExitUsage},
		{"log: missing argument", []string{"log", c, cfg}, ExitUsage},
		{"forget: negative --keep-last", []string{"forget", c, cfg, "--keep-last", "-5"}, ExitUsage},
		{"forget: fraction --keep-daily", []string{"forget", c, cfg, "--keep-daily", "1.5"}, ExitUsage},
		{"forget: unknown workspace", []string{"forget", c, cfg, "--workspace", "nope", "--dry-run"}, ExitError},
		{"forget: --keep-last -1 is the config's", []string{"forget", c, cfg, "--keep-last", "-1", "--dry-run"}, ExitOK},
		{"backup: unknown workspace", []string{"backup", c, cfg, "--workspace", "nope"}, ExitError},
		{"apply: missing argument", []string{"apply", c, cfg}, ExitUsage},
		{"apply: missing plan file", []string{"apply", c, cfg, missing}, ExitError},
		{"restore: unknown snapshot", []string{"restore", c, cfg, "--snapshot", unknownSnap, "all"}, ExitError},
		{"restore: malformed snapshot", []string{"restore", c, cfg, "--snapshot", badSnap, "all"}, ExitUsage},
		{"restore: missing export", []string{"restore", c, cfg, "--from-export", missing, "all"}, ExitError},
		{"export: missing --output", []string{"export", c, cfg, "--snapshot", "latest"}, ExitUsage},
		{"export: unknown snapshot", []string{"export", c, cfg, "--snapshot", unknownSnap, "--output", filepath.Join(dir, "x")}, ExitError},
		{"export: existing output", []string{"export", c, cfg, "--snapshot", "latest", "--output", existing}, ExitUsage},
		{"db backup: existing output", []string{"db", "backup", c, cfg, "--output", existing}, ExitUsage},
		{"offsite restore-db: existing --to", []string{"offsite", "restore-db", "--from", "file://" + dir, "--to", existing, "--password-file", existing}, ExitUsage},
		{"db backup: missing directory", []string{"db", "backup", c, cfg, "--output", filepath.Join(missing, "copy.db")}, ExitError},
		{"config check: missing file", []string{"config", "check", c, missing}, ExitUsage},
		{"snapshots: missing config file", []string{"snapshots", c, missing}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out := run(tt.args...); code != tt.want {
				t.Errorf("%q exited %d, want %d:\n%s", tt.args, code, tt.want, out)
			}
		})
	}
}
