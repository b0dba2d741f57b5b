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

// BenchmarkFirstBackupCPU makes first backups of 100,002 items of an
// in-process fake API with no latency, each into a new database: the way to
// profile the backup's own CPU:
//
//	go test ./internal/app -run '^$' -bench FirstBackupCPU -benchtime 3x -cpuprofile cpu.out
//
// The fake serves from the same process, so its handlers show in the
// profile too; cmd/bench measures the program alone, in a child process,
// against a bare pager sending the same requests.
func BenchmarkFirstBackupCPU(b *testing.B) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 33_334})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := range b.N {
		b.StopTimer()
		text := fmt.Sprintf("database: %s\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n    requests_per_second: 0\n"+
			"workspaces:\n  - name: acme\n    environment: local\n", filepath.Join(dir, fmt.Sprintf("%d.db", i)), hs.URL)
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
		cfg, err := config.Load(path, config.Options{})
		if err != nil {
			b.Fatal(err)
		}
		db, err := snapshot.Open(cfg.Database, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		svc, err := New(Options{Config: cfg, DB: db})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := svc.Backup(context.Background(), BackupRequest{Workspace: "acme"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
