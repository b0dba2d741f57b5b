package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

// An add of a key over every target checks every target's files first:
// one that cannot be read changes none.
func TestOffsiteKeysBrokenTargetChangesNone(t *testing.T) {
	svc, _ := brokenSecretsService(t, "")
	ctx := context.Background()
	cfg := svc.Config()
	cfg.Offsite[0], cfg.Offsite[1] = cfg.Offsite[1], cfg.Offsite[0] // usb first, then nas (broken)
	if _, err := svc.OffsitePush(ctx, "usb"); err != nil {
		t.Fatal(err)
	}
	_, err := svc.OffsiteKeyChange(ctx, "", "new-Password-99", "")
	var se *SecretError
	if !errors.As(err, &se) {
		t.Fatalf("OffsiteKeyChange over every target = %v, want nas's *SecretError", err)
	}
	keys, err := svc.OffsiteKeyChange(ctx, "usb", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(keys[0].Keys); n != 1 {
		t.Errorf("usb holds %d keys after an add that failed on nas, want 1", n)
	}
}

// A backup that fails on its key file is in the run history, which the
// dashboard and a restarted daemon's status read.
func TestSecretFailureInHistory(t *testing.T) {
	svc, _ := brokenSecretsService(t, "")
	ctx := context.Background()
	if res := svc.RunBackup(ctx, "acme-stage"); res.Status != StatusFailed {
		t.Fatalf("RunBackup(acme-stage) = %+v, want failed", res)
	}
	if _, err := svc.Backup(ctx, BackupRequest{Workspace: "acme-stage"}); err == nil {
		t.Fatal("Backup(acme-stage) succeeded")
	}
	h, err := svc.JobHistory("acme-stage")
	if err != nil {
		t.Fatal(err)
	}
	if h.LastRun == nil || h.LastRun.Status != StatusFailed || !strings.Contains(h.LastRun.Error, "stage.key") {
		t.Errorf("JobHistory(acme-stage).LastRun = %+v, want the failed run naming stage.key", h.LastRun)
	}
	jobs, err := svc.Overview(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Name == "acme-stage" && (j.LastRun == nil || j.LastRun.Status != StatusFailed) {
			t.Errorf("Overview: acme-stage's last run = %+v, want failed", j.LastRun)
		}
	}
}

// A restore into an environment whose integration secret file cannot be
// read fails before it reads the target.
func TestBrokenIntegrationSecretFailsBeforeReading(t *testing.T) {
	svc, _ := brokenSecretsService(t, ", secrets: {certisign: {token_file: cert.token}}")
	ctx := context.Background()
	if res := svc.RunBackup(ctx, "acme"); res.Status != StatusComplete {
		t.Fatalf("backup of acme = %+v", res)
	}
	ws, _ := svc.Config().Workspace("acme")
	cl, err := svc.Client(ws)
	if err != nil {
		t.Fatal(err)
	}
	before := cl.Stats().Requests
	_, err = svc.PlanRestore(ctx, RestoreRequest{Workspace: "acme", All: true})
	var se *SecretError
	if !errors.As(err, &se) {
		t.Fatalf("PlanRestore = %v, want a *SecretError", err)
	}
	if n := cl.Stats().Requests - before; n != 0 {
		t.Errorf("PlanRestore sent %d requests to the target before failing on its config", n)
	}
}

// A target with several files that cannot be read fails on one line.
func TestSecretErrorOneLine(t *testing.T) {
	e := &SecretError{What: "offsite target s3", Err: &config.Error{Problems: []config.Problem{
		{File: "config.yaml", Line: 20, Path: "offsite[0].password_file", Msg: "cannot read s3.pw: no such file or directory"},
		{File: "config.yaml", Line: 21, Path: "offsite[0].access_key_id_file", Msg: "cannot read s3.id: no such file or directory"},
	}}}
	if msg := e.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "s3.pw") || !strings.Contains(msg, "s3.id") {
		t.Errorf("SecretError = %q, want one line naming both files", msg)
	}
}
