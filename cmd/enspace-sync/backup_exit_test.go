package main

import (
	"errors"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

// TestBackupExit: a backup whose every workspace failed on a key file the
// config could not read exits 2, as offsite push does when every target's
// password file cannot be read (an invalid config: nothing was tried);
// one failure for another reason makes it 1; some stored, 3.
func TestBackupExit(t *testing.T) {
	secret := &app.SecretError{What: "environment stage", Err: errors.New("cannot read stage.key")}
	other := errors.New("cannot reach http://x")
	for _, tt := range []struct {
		name   string
		failed []string
		errs   []error
		n      int
		want   int
	}{
		{"one secret", []string{"a"}, []error{secret}, 1, ExitUsage},
		{"all secret", []string{"a", "b"}, []error{secret, secret}, 2, ExitUsage},
		{"one other", []string{"a"}, []error{other}, 1, ExitError},
		{"mixed", []string{"a", "b"}, []error{secret, other}, 2, ExitError},
		{"some stored", []string{"a"}, []error{secret}, 2, ExitPartial},
		{"none failed", nil, nil, 2, ExitOK},
	} {
		if got := exitCode(backupExit(tt.failed, tt.errs, tt.n, 0)); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
