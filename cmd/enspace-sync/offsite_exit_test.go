package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// TestOffsiteErrorExitStatus: as the offsite commands return them, a lock
// lost during a push and local bytes that do not hash to their id exit 1
// with their message; a lock held by another process exits 4. A command
// run on several targets exits 3 when some failed and others did not.
func TestOffsiteErrorExitStatus(t *testing.T) {
	locked := fmt.Errorf("offsite target s3: %w: exclusive lock of b (prune on host h, pid 7)", offsite.ErrLocked)
	tests := []struct {
		err  error
		want int
		msg  string
	}{
		{fmt.Errorf("offsite nas: push snapshot 1a2b of acme: %w: the lock was removed", offsite.ErrLockLost), ExitError, "lost the lock on the target"},
		{fmt.Errorf("offsite nas: push snapshot 1a2b of acme: collection items/clients: %w: items \"7\"", offsite.ErrLocalCorrupt), ExitError, "does not hash to its id"},
		{fmt.Errorf("offsite nas: %w: exclusive lock of b (prune on host h, pid 7)", offsite.ErrLocked), ExitLocked, "prune on host h"},
		// Several targets: all failed 1, all locked 4, some failed 3.
		{&app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "nas", Err: errors.New("offsite target nas: boom")}, {Target: "s3", Err: locked}}}, ExitError, "2 of 2 offsite targets failed"},
		{&app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "nas", Err: locked}, {Target: "s3", Err: locked}}}, ExitLocked, "prune on host h"},
		{&app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "nas", Err: locked}}}, ExitPartial, "1 of 2 offsite targets failed"},
		{&app.TargetsError{Targets: 3, Failed: []app.TargetError{{Target: "nas", Err: errors.New("offsite target nas: boom")}}}, ExitPartial, "offsite target nas: boom"},
		{&app.TargetsError{Targets: 1, Failed: []app.TargetError{{Target: "nas", Err: locked}}}, ExitLocked, "prune on host h"},
		{&app.TargetsError{Targets: 1, Failed: []app.TargetError{{Target: "nas", Err: errors.New("offsite target nas: boom")}}}, ExitError, "offsite target nas: boom"},
	}
	for _, tt := range tests {
		var errb bytes.Buffer
		m := NewMain()
		m.Stderr = &errb
		if code := m.ReportError(offsiteError(tt.err)); code != tt.want || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tt.err, code, errb.String(), tt.want, tt.msg)
		}
	}
}

// TestOffsiteVerifyInterruptedAfterDamage: a verify that found damage on
// one target and was then interrupted (ctrl-C) exits 130, not 1; damage
// found by a verify that finished exits 1 even when another target
// failed.
func TestOffsiteVerifyInterruptedAfterDamage(t *testing.T) {
	damaged := fmt.Errorf("%w: nas: 2 problems", app.ErrOffsiteDamaged)
	cancelled := &app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "s3", Err: fmt.Errorf("offsite target s3: %w", context.Canceled)}}}
	failed := &app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "s3", Err: errors.New("offsite target s3: boom")}}}
	for _, tt := range []struct {
		err  error
		want int
	}{
		{errors.Join(damaged, cancelled), ExitInterrupted},
		{errors.Join(damaged, failed), ExitError},
		{damaged, ExitError},
	} {
		m := NewMain()
		m.Stderr = &bytes.Buffer{}
		if code := m.ReportError(offsiteVerifyError(tt.err)); code != tt.want {
			t.Errorf("%v: exit %d, want %d", tt.err, code, tt.want)
		}
	}
}
