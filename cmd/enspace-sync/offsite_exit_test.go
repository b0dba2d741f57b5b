package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// TestOffsiteErrorExitStatus: as the offsite commands return them, a lock
// lost during a push and local bytes that do not hash to their id exit 1
// with their message; a lock held by another process exits 4.
func TestOffsiteErrorExitStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
		msg  string
	}{
		{fmt.Errorf("offsite nas: push snapshot 1a2b of acme: %w: the lock was removed", offsite.ErrLockLost), ExitError, "lost the lock on the target"},
		{fmt.Errorf("offsite nas: push snapshot 1a2b of acme: collection items/clients: %w: items \"7\"", offsite.ErrLocalCorrupt), ExitError, "does not hash to its id"},
		{fmt.Errorf("offsite nas: %w: exclusive lock of b (prune on host h, pid 7)", offsite.ErrLocked), ExitLocked, "prune on host h"},
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
