package main

import (
	"context"
	"errors"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

// TestBackupExit: a backup whose every workspace failed on a key file the
// config could not read exits 2, as offsite push does when every target's
// password file cannot be read (an invalid config: nothing was tried);
// one failure for another reason makes it 1; some stored, or a partial
// snapshot, 3. Over one workspace nothing more is printed.
func TestBackupExit(t *testing.T) {
	secret := &app.SecretError{What: "environment stage", Err: errors.New("cannot read stage.key")}
	other := errors.New("cannot reach http://x")
	fail := func(errs ...error) []app.WorkspaceError {
		out := make([]app.WorkspaceError, len(errs))
		for i, err := range errs {
			out[i] = app.WorkspaceError{Workspace: string(rune('a' + i)), Err: err}
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		err     *app.BackupsError
		want    int
		printed bool // a last line
	}{
		{"one secret", &app.BackupsError{Workspaces: 1, Failed: fail(secret)}, ExitUsage, false},
		{"all secret", &app.BackupsError{Workspaces: 2, Failed: fail(secret, secret)}, ExitUsage, true},
		{"one other", &app.BackupsError{Workspaces: 1, Failed: fail(other)}, ExitError, false},
		{"mixed", &app.BackupsError{Workspaces: 2, Failed: fail(secret, other)}, ExitError, true},
		{"some stored", &app.BackupsError{Workspaces: 2, Failed: fail(secret)}, ExitPartial, true},
		{"partial snapshot", &app.BackupsError{Workspaces: 2, PartialSnapshots: 1}, ExitPartial, false},
	} {
		err := backupExit(tt.err)
		if got := exitCode(err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
		var ee *exitError
		if errors.As(err, &ee) && (ee.err != nil) != tt.printed {
			t.Errorf("%s: last line %v, want one: %v", tt.name, ee.err, tt.printed)
		}
	}
	if err := backupExit(nil); exitCode(err) != ExitOK {
		t.Errorf("none failed: %v", err)
	}
}

// TestUnitsExitAgree: a backup over several workspaces and an offsite
// command over several targets exit by one rule for the same failures:
// 3 when some succeeded, 2 when every one failed on a secret file the
// config could not read, 1 when every one failed and some otherwise.
func TestUnitsExitAgree(t *testing.T) {
	secret := &app.SecretError{What: "x", Err: errors.New("cannot read x.key")}
	other := errors.New("cannot reach http://x")
	for _, tt := range []struct {
		name string
		n    int
		errs []error
		want int
	}{
		{"one secret", 1, []error{secret}, ExitUsage},
		{"one other", 1, []error{other}, ExitError},
		{"all secret", 2, []error{secret, secret}, ExitUsage},
		{"all failed, mixed", 2, []error{other, secret}, ExitError},
		{"some succeeded, secret", 3, []error{secret, secret}, ExitPartial},
		{"some succeeded, other", 3, []error{other}, ExitPartial},
	} {
		be := &app.BackupsError{Workspaces: tt.n}
		te := &app.TargetsError{Targets: tt.n}
		for i, err := range tt.errs {
			name := string(rune('a' + i))
			be.Failed = append(be.Failed, app.WorkspaceError{Workspace: name, Err: err})
			te.Failed = append(te.Failed, app.TargetError{Target: name, Err: err})
		}
		backup := exitCode(backupExit(be))
		push := exitCode(offsiteError(context.Background(), te))
		if backup != tt.want || push != tt.want {
			t.Errorf("%s: backup exits %d, offsite %d; want %d", tt.name, backup, push, tt.want)
		}
	}
}
