package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/demo"
)

// TestInterruptedByTypeNotText: Run names the interrupted command unless
// the error says itself what was interrupted, which it knows by the
// error's type, not by the word "interrupted" in its text: an error that
// only mentions the word (a snapshot id, a server's message) is still
// "NAME interrupted: ..." with exit status 130, and those that describe
// the interruption keep their text. Before, the text was matched, so the
// first kind ended as a bare "... context canceled".
func TestInterruptedByTypeNotText(t *testing.T) {
	canceled := func() error { return context.Canceled }
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"mentions the word", fmt.Errorf("read snapshot interrupted-7f3a: %w", canceled()),
			"probe interrupted: read snapshot interrupted-7f3a"},
		{"server message", fmt.Errorf(`the server said "job interrupted by maintenance": %w`, canceled()),
			`probe interrupted: the server said "job interrupted by maintenance"`},
		{"plain", fmt.Errorf("walk acme: %w", canceled()), "probe interrupted: walk acme"},
		{"describes it", interruptedf("backup of acme interrupted: nothing was stored: %w", canceled()),
			"backup of acme interrupted: nothing was stored: context canceled"},
		{"describes it, wrapped", fmt.Errorf("outer: %w", interruptedf("restore into acme interrupted after 3 writes done: %w", canceled())),
			"outer: restore into acme interrupted after 3 writes done: context canceled"},
		{"demo", &demo.InterruptedError{Step: 4, Err: canceled()}, "demo interrupted at step 4: context canceled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			register(&command{name: "probe", run: func(context.Context, *Main, []string) error { return tt.err }})
			defer delete(commands, "probe")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			m, _, stderr := newTestMain()
			err := m.Run(ctx, []string{"probe"})
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%v does not wrap context.Canceled", err)
			}
			if code := m.ReportError(err); code != ExitInterrupted {
				t.Errorf("exit %d, want %d\n%s", code, ExitInterrupted, stderr)
			}
		})
	}
}
