package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestBackupSumsVerify: a backup files list objects under the sums the
// client took while it checked each page (no second hash in the store);
// `verify --read-data` re-hashes every stored object's canonical JSON and
// finds each one at its address.
func TestBackupSumsVerify(t *testing.T) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 150})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("database: %s\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n    requests_per_second: 0\n"+
		"workspaces:\n  - name: acme\n    environment: local\n", filepath.Join(dir, "db"), hs.URL)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(cfg.Database, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Backup(context.Background(), BackupRequest{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot == nil || res.Snapshot.Objects < 450 {
		t.Fatalf("backup result %+v: want a snapshot of at least 450 objects", res)
	}
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify --read-data: %+v", rep.Problems)
	}
}
