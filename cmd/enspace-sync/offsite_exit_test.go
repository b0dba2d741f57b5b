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
	noPassword := &app.SecretError{What: "offsite target nas", Err: errors.New("config.yaml:9: offsite[0].password_file: cannot read /etc/nas.pw: no such file or directory")}
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
		// A password file that cannot be read: 2 when every failure is one
		// (nothing was tried), else as other failures.
		{&app.TargetsError{Targets: 1, Failed: []app.TargetError{{Target: "nas", Err: noPassword}}}, ExitUsage, "password_file: cannot read"},
		{&app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "nas", Err: noPassword}}}, ExitPartial, "password_file: cannot read"},
		{&app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "nas", Err: noPassword}, {Target: "s3", Err: locked}}}, ExitError, "2 of 2 offsite targets failed"},
	}
	for _, tt := range tests {
		var errb bytes.Buffer
		m := NewMain()
		m.Stderr = &errb
		if code := m.ReportError(offsiteError(context.Background(), tt.err)); code != tt.want || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tt.err, code, errb.String(), tt.want, tt.msg)
		}
	}
}

// TestOffsiteVerifyInterruptedAfterDamage: a verify that found damage on
// one target and was then interrupted (ctrl-C) exits 130, not 1; damage
// found by a verify that finished exits 1 even when another target
// failed, and so does one whose "context canceled" was not the
// command's (its context was not cancelled).
func TestOffsiteVerifyInterruptedAfterDamage(t *testing.T) {
	interrupted, cancel := context.WithCancel(context.Background())
	cancel()
	damaged := fmt.Errorf("%w: nas: 2 problems", app.ErrOffsiteDamaged)
	cancelled := &app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "s3", Err: fmt.Errorf("offsite target s3: %w", context.Canceled)}}}
	failed := &app.TargetsError{Targets: 2, Failed: []app.TargetError{{Target: "s3", Err: errors.New("offsite target s3: boom")}}}
	for _, tt := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{interrupted, errors.Join(damaged, cancelled), ExitInterrupted},
		{context.Background(), errors.Join(damaged, cancelled), ExitError},
		{interrupted, errors.Join(damaged, failed), ExitError},
		{interrupted, damaged, ExitError},
	} {
		m := NewMain()
		m.Stderr = &bytes.Buffer{}
		if code := m.ReportError(offsiteVerifyError(tt.ctx, tt.err)); code != tt.want {
			t.Errorf("%v: exit %d, want %d", tt.err, code, tt.want)
		}
	}
}

// TestOffsiteTargetLineInterrupted: a target's line says "interrupted"
// only when the command itself was interrupted (its context cancelled)
// and the target's error is what that caused; a "context canceled" the
// command's context did not cause is printed as the failure it is, and
// does not exit 130.
func TestOffsiteTargetLineInterrupted(t *testing.T) {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	const msg = "offsite target nas: list snapshots: context canceled"
	for _, tt := range []struct {
		ctx  context.Context
		msg  string
		want string
	}{
		{stopped, msg, "nas: interrupted\n"},
		{context.Background(), msg, "nas: failed: " + msg + "\n"},
		{stopped, "offsite target nas: boom", "nas: failed: offsite target nas: boom\n"},
	} {
		m, stdout, _ := newTestMain()
		printFailed(tt.ctx, m, "nas", tt.msg)
		if stdout.String() != tt.want {
			t.Errorf("ctx err %v, %q: printed %q, want %q", tt.ctx.Err(), tt.msg, stdout.String(), tt.want)
		}
	}
	te := &app.TargetsError{Targets: 1, Failed: []app.TargetError{{Target: "nas", Err: fmt.Errorf("offsite target nas: %w", context.Canceled)}}}
	m := NewMain()
	m.Stderr = &bytes.Buffer{}
	if code := m.ReportError(offsiteError(context.Background(), te)); code != ExitError {
		t.Errorf("context canceled without Ctrl-C: exit %d, want %d", code, ExitError)
	}
}
