package app

import (
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestRunStatus maps the store's run records to the one status vocabulary:
// a run stopped by a signal or killed is aborted, one stopped by an error
// failed, whatever its error text says.
func TestRunStatus(t *testing.T) {
	for _, tt := range []struct {
		run  snapshot.Run
		want Status
	}{
		{snapshot.Run{Outcome: snapshot.OutcomeComplete}, StatusComplete},
		{snapshot.Run{Outcome: snapshot.OutcomePartial}, StatusPartial},
		{snapshot.Run{Outcome: snapshot.OutcomeAborted, Ending: snapshot.EndCancelled, Error: "401"}, StatusAborted},
		{snapshot.Run{Outcome: snapshot.OutcomeAborted, Ending: snapshot.EndKilled}, StatusAborted},
		{snapshot.Run{Outcome: snapshot.OutcomeAborted, Ending: snapshot.EndFailed, Error: "context canceled"}, StatusFailed},
		{snapshot.Run{Outcome: snapshot.OutcomeFailed}, StatusFailed},
	} {
		if got := RunStatus(tt.run); got != tt.want {
			t.Errorf("RunStatus(%+v) = %q, want %q", tt.run, got, tt.want)
		}
	}
}
