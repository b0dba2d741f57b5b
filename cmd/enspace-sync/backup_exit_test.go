package main

import (
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
