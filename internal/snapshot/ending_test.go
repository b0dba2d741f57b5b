package snapshot

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestRunEndings checks that a run without a snapshot records why it
// ended as data, and that records of older versions, which have only the
// error text, are read the same way.
func TestRunEndings(t *testing.T) {
	db := openTest(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, reason := range []error{
		fmt.Errorf("list items: %w", context.Canceled),
		fmt.Errorf("walk: %w", context.DeadlineExceeded),
		errors.New("401 Unauthorized"),
		nil,
	} {
		w, err := db.Begin("acme", at.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(reason); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.Runs("acme")
	if err != nil {
		t.Fatal(err)
	}
	var got []Ending
	for _, r := range runs {
		got = append(got, r.Ending)
		if r.Ended() != r.Ending {
			t.Errorf("run %s: Ended() = %q, recorded %q", r.ID, r.Ended(), r.Ending)
		}
	}
	if want := []Ending{EndCancelled, EndCancelled, EndFailed, EndFailed}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("endings = %v, want %v", got, want)
	}

	for _, tt := range []struct {
		run  Run
		want Ending
	}{
		{Run{Outcome: OutcomeAborted, Error: interrupted}, EndKilled},
		{Run{Outcome: OutcomeAborted, Error: "walk: context canceled"}, EndCancelled},
		{Run{Outcome: OutcomeAborted, Error: "interrupted by SIGTERM"}, EndCancelled},
		{Run{Outcome: OutcomeAborted, Error: "no space left on device"}, EndFailed},
		{Run{Outcome: OutcomeFailed, Error: "commit"}, EndFailed},
		{Run{Outcome: OutcomeComplete}, ""},
		{Run{Outcome: OutcomeRunning}, ""},
	} {
		if got := tt.run.Ended(); got != tt.want {
			t.Errorf("an older record %+v: Ended() = %q, want %q", tt.run, got, tt.want)
		}
	}
}
