package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// brokenSecretsService is the program over a fake Enspace with two
// environments (local, whose key file is fine, and stage, whose key file
// is missing) and two offsite targets (nas, whose password file is
// missing, and usb, whose is fine), loaded as the commands load it
// (config.Options.SecretsOnUse). local gets the integration secrets
// given (YAML flow mapping, "" for none).
func brokenSecretsService(t *testing.T, localSecrets string) (*Service, string) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	for name, text := range map[string]string{"key": fakeapi.DemoAPIKey + "\n", "usb.pw": "usb-Password-77\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := fmt.Sprintf(`database: %s
name: host-a
environments:
  local: {base_url: %q, api_key_file: key, requests_per_second: 0%s}
  stage: {base_url: %q, api_key_file: stage.key, requests_per_second: 0}
workspaces:
  - {name: acme, environment: local}
  - {name: acme-stage, environment: stage}
offsite:
  - {name: nas, url: "file://%s/nas", password_file: nas.pw}
  - {name: usb, url: "file://%s/usb", password_file: usb.pw}
replications:
  - {name: to-stage, from: acme, to: acme-stage, schedule: "@hourly"}
`, filepath.Join(dir, "db"), hs.URL, localSecrets, hs.URL, dir, dir)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
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
	return svc, dir
}

// TestMissingSecretFailsOnlyItsUser: a missing key file fails the backups
// of its environment's workspaces only, as a *SecretError (ErrConfig)
// naming the file; a missing offsite password file fails that target only,
// and the daemon's push job of it fails at once, without retries.
func TestMissingSecretFailsOnlyItsUser(t *testing.T) {
	svc, dir := brokenSecretsService(t, "")
	ctx := context.Background()

	// The daemon's backups: acme goes on, acme-stage fails on its key.
	if res := svc.RunBackup(ctx, "acme"); res.Status != StatusComplete {
		t.Fatalf("backup of acme = %+v, want complete", res)
	}
	res := svc.RunBackup(ctx, "acme-stage")
	if res.Status != StatusFailed || !strings.Contains(res.Error, "environment stage: ") ||
		!strings.Contains(res.Error, "environments.stage.api_key_file: cannot read "+filepath.Join(dir, "stage.key")) {
		t.Errorf("backup of acme-stage = %+v, want failed on stage.key", res)
	}
	_, err := svc.Backup(ctx, BackupRequest{Workspace: "acme-stage"})
	var se *SecretError
	if !errors.As(err, &se) || !errors.Is(err, ErrConfig) || !errors.Is(err, config.ErrKeyFile) {
		t.Errorf("Backup(acme-stage) = %v, want a *SecretError that is ErrConfig and config.ErrKeyFile", err)
	}

	// The daemon's replication into acme-stage fails on its key too, as
	// a config error: nothing was tried (trigger --wait exits 2).
	if rep := svc.RunReplication(ctx, "to-stage"); rep.Status != StatusFailed || !rep.ConfigError {
		t.Errorf("replication into acme-stage = %+v, want failed with ConfigError", rep.RunInfo)
	}
	if job := svc.RunBackup(ctx, "acme-stage"); !job.ConfigError {
		t.Errorf("backup of acme-stage = %+v, want ConfigError", job.RunInfo)
	}

	// offsite push --target nas: that target fails, naming its file.
	reps, err := svc.OffsitePush(ctx, "nas")
	var te *TargetsError
	if !errors.As(err, &te) || !te.AllConfig() || te.Partial() || len(reps) != 1 ||
		!strings.Contains(reps[0].Error, "offsite[0].password_file: cannot read "+filepath.Join(dir, "nas.pw")+": no such file") {
		t.Errorf("push to nas = %+v, %v: want nas failed on nas.pw", reps, err)
	}
	// Every target: usb is pushed, nas fails.
	reps, err = svc.OffsitePush(ctx, "")
	if !errors.As(err, &te) || !te.Partial() || len(te.Failed) != 1 || te.Failed[0].Target != "nas" || len(reps) != 2 || len(reps[1].Pushed) != 1 {
		t.Errorf("push to every target = %+v, %v: want usb pushed, nas failed", reps, err)
	}
	if strings.Contains(fmt.Sprint(err, reps), "usb-Password-77") {
		t.Errorf("a push error shows a password: %v", err)
	}

	// The daemon's push job of nas: failed at once (a retry cannot help
	// until the file is fixed and the config reloaded).
	start := time.Now()
	job := svc.RunOffsitePush(ctx, OffsiteJob("nas"))
	if job.Status != StatusFailed || !strings.Contains(job.Error, "nas.pw") || time.Since(start) > 10*time.Second {
		t.Errorf("push job of nas = %+v after %v, want failed at once", job, time.Since(start))
	}
	if job := svc.RunOffsitePush(ctx, OffsiteJob("usb")); job.Status != StatusComplete {
		t.Errorf("push job of usb = %+v, want complete", job)
	}
}

// TestMissingIntegrationSecret: an integration secret file that cannot be
// read does not stop a backup of its environment's workspace, but a
// restore into it fails before planning, naming the file.
func TestMissingIntegrationSecret(t *testing.T) {
	svc, dir := brokenSecretsService(t, ", secrets: {certisign: {token_file: cert.token}}")
	ctx := context.Background()
	if res := svc.RunBackup(ctx, "acme"); res.Status != StatusComplete {
		t.Fatalf("backup of acme = %+v, want complete", res)
	}
	_, err := svc.PlanRestore(ctx, RestoreRequest{Workspace: "acme", All: true})
	var se *SecretError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "environment local (integration secrets): ") ||
		!strings.Contains(err.Error(), "environments.local.secrets.certisign.token_file: cannot read "+filepath.Join(dir, "cert.token")) {
		t.Errorf("PlanRestore into acme = %v, want a *SecretError naming cert.token", err)
	}
}
