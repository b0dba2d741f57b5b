package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// Trigger starts a run of the named workspace now. It returns a ticket for
// Wait.
func (d *Daemon) Trigger(name string) (Ticket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.states[name]
	if st == nil || !d.scheduled(name) {
		return Ticket{}, fmt.Errorf("%w %q", ErrUnknownWorkspace, name)
	}
	if d.stopping || d.sched == nil {
		return Ticket{}, ErrStopping
	}
	// The scheduler's Guard decides whether a run is in flight (also one
	// started by a scheduler a reload replaced): it alone prevents overlap.
	started, err := d.sched.TriggerNow(name)
	switch {
	case errors.Is(err, scheduler.ErrNotRunning):
		return Ticket{}, ErrStopping
	case err != nil:
		return Ticket{}, err
	case !started:
		return Ticket{}, fmt.Errorf("%s: %w", name, ErrBusy)
	}
	return Ticket{name: name, after: st.finished}, nil
}

// Ticket identifies a triggered run, for Wait.
type Ticket struct {
	name  string
	after uint64
}

// Wait waits for the run of t to finish and returns it. It returns
// ErrStopping when the daemon stopped before that run began.
func (d *Daemon) Wait(ctx context.Context, t Ticket) (RunInfo, error) {
	for halted := false; ; {
		d.mu.Lock()
		st := d.states[t.name]
		if st == nil {
			d.mu.Unlock()
			return RunInfo{}, fmt.Errorf("%w %q", ErrUnknownWorkspace, t.name)
		}
		if st.finished > t.after && st.last != nil {
			info := *st.last
			d.mu.Unlock()
			return info, nil
		}
		done := st.done
		d.mu.Unlock()
		if halted {
			return RunInfo{}, ErrStopping
		}
		select {
		case <-done:
		case <-d.halted:
			halted = true // look once more: the run may have ended just before
		case <-ctx.Done():
			return RunInfo{}, ctx.Err()
		}
	}
}

// scheduled reports whether name is in the current settings. The caller holds d.mu.
func (d *Daemon) scheduled(name string) bool {
	for _, ws := range d.settings.Workspaces {
		if ws.Name == name {
			return true
		}
	}
	return false
}
