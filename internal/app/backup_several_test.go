package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// severalService is a Service over a fake API with the workspaces acme and
// acme2 (environment local, whose key file is fine) and stage and stage2
// (environment stage, whose key file does not exist), loaded as the
// commands load it (SecretsOnUse).
func severalService(t *testing.T) *Service {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 5})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("database: %s\nenvironments:\n"+
		"  local:\n    base_url: %[2]s\n    api_key_file: key\n    requests_per_second: 0\n"+
		"  stage:\n    base_url: %[2]s\n    api_key_file: stage.key\n    requests_per_second: 0\n"+
		"workspaces:\n  - name: acme\n    environment: local\n  - name: acme2\n    slug: acme\n    environment: local\n"+
		"  - name: stage\n    environment: stage\n  - name: stage2\n    environment: stage\n",
		filepath.Join(dir, "db"), hs.URL)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{SecretsOnUse: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(cfg.Database, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := New(Options{Config: cfg, DB: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestBackupWorkspacesOutcome: BackupWorkspaces runs every workspace in
// order past the failed ones and sums up the run in a *BackupsError whose
// text, AllConfig and Partial decide the command's last line and exit
// status: some stored (partial, 3), every one failed on its key file
// (all config, 2), one failed on its key file (no last line).
func TestBackupWorkspacesOutcome(t *testing.T) {
	svc := severalService(t)
	for _, tt := range []struct {
		names              []string
		summary            string
		partial, allConfig bool
	}{
		{[]string{"acme"}, "", false, false},
		{[]string{"acme", "stage", "acme2", "stage2"}, "2 of 4 workspaces failed: stage, stage2 (the others were stored)", true, true},
		{[]string{"stage", "stage2"}, "the backups of all 2 workspaces failed: stage, stage2", false, true},
		{[]string{"stage"}, "", false, true},
	} {
		ws, err := svc.Workspaces(tt.names)
		if err != nil {
			t.Fatal(err)
		}
		var stored, failed []string
		err = svc.BackupWorkspaces(context.Background(), ws, BackupEach{
			Stored: func(r *BackupResult) { stored = append(stored, r.Snapshot.Workspace) },
			Failed: func(name string, err error) { failed = append(failed, name) },
		})
		if len(stored)+len(failed) != len(tt.names) {
			t.Errorf("%v: stored %v, failed %v: want every workspace run", tt.names, stored, failed)
		}
		if tt.summary == "" && !tt.allConfig {
			if err != nil {
				t.Errorf("%v: %v, want nil", tt.names, err)
			}
			continue
		}
		var be *BackupsError
		if !errors.As(err, &be) {
			t.Fatalf("%v: %v (%T), want a *BackupsError", tt.names, err, err)
		}
		if got := be.Summary(); got != tt.summary {
			t.Errorf("%v: summary %q, want %q", tt.names, got, tt.summary)
		}
		if be.Partial() != tt.partial || be.AllConfig() != tt.allConfig {
			t.Errorf("%v: Partial %v, AllConfig %v; want %v, %v", tt.names, be.Partial(), be.AllConfig(), tt.partial, tt.allConfig)
		}
		if len(be.Failed) != len(failed) {
			t.Errorf("%v: %d failed in the error, %v reported", tt.names, len(be.Failed), failed)
		}
	}
}

// TestBackupWorkspacesInterrupted: a run stopped between two workspaces
// starts no other and returns an *InterruptedBackup that names what was
// stored and what was not started, and unwraps to the context's error.
func TestBackupWorkspacesInterrupted(t *testing.T) {
	svc := severalService(t)
	ws, err := svc.Workspaces([]string{"acme", "stage", "acme2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = svc.BackupWorkspaces(ctx, ws, BackupEach{Failed: func(string, error) { cancel() }})
	var cut *InterruptedBackup
	if !errors.As(err, &cut) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v (%T): want an *InterruptedBackup wrapping context.Canceled", err, err)
	}
	want := `^backup interrupted before acme2 started: stored in this run: acme \(snapshot [0-9a-f]{8}\); failed: stage; not started: acme2$`
	if !regexp.MustCompile(want).MatchString(err.Error()) {
		t.Errorf("error %q, want it to match %s", err, want)
	}
}
