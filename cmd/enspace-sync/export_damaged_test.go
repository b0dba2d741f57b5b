package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportRefusesDamagedPack: export --snapshot of a snapshot one of
// whose packs fails its checksum stops with exit 1 and says so, and
// leaves no archive behind, rather than export the damaged bytes; after a
// verify --repair and a backup that heals the objects, it exports.
func TestExportRefusesDamagedPack(t *testing.T) {
	dir, cfg := backedUpDemo(t)
	damageStoredObject(t, filepath.Join(dir, "db", "enspace-sync.db"))
	out := filepath.Join(dir, "export.tar.gz")
	got, err := runSelf(t, "export", "--config", cfg, "--snapshot", "latest", "--output", out)
	if code := exitStatus(err); code != 1 || !strings.Contains(got, "fails its checksum") {
		t.Fatalf("export of a snapshot with a damaged pack: exit %d, want 1 saying the pack fails its checksum\n%s", code, got)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("export left %s behind after failing: %v", out, err)
	}
	if got, err := runSelf(t, "verify", "--config", cfg, "--repair"); err != nil {
		t.Fatalf("verify --repair: %v\n%s", err, got)
	}
	if got, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup after the repair: %v\n%s", err, got)
	}
	if got, err := runSelf(t, "export", "--config", cfg, "--snapshot", "latest", "--output", out); err != nil {
		t.Fatalf("export after the healing backup: %v\n%s", err, got)
	}
}
