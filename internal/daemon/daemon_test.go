package daemon

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCatchUpAtStart(t *testing.T) {
	cases := []struct {
		name   string
		lastOK time.Time
		want   string
	}{
		{"never backed up", time.Time{}, "backup acme,retain acme"},
		{"last success older than the period", t0.Add(-2 * time.Hour), "backup acme,retain acme"},
		{"recent success", t0.Add(-10 * time.Minute), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClock(t0)
			b := newBackend(c)
			if !tc.lastOK.IsZero() {
				b.lastOK["acme"] = tc.lastOK
			}
			d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"})
			idle(t, d, c, 1)
			if got := b.Calls(); got != tc.want {
				t.Errorf("calls = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScheduledRunsApplyRetention(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0 // no catch-up
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"})
	idle(t, d, c, 1)
	for i := 0; i < 3; i++ {
		c.Advance(time.Hour)
		eventually(t, "a scheduled run", func() bool {
			return len(b.Calls()) > 0 && d.Status().Workspaces[0].LastRun != nil && d.Status().Workspaces[0].Snapshots == min(i+1, 2)
		})
		idle(t, d, c, 1)
	}
	if got, want := b.Calls(), "backup acme,retain acme,backup acme,retain acme,backup acme,retain acme"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
	// A failed run stores nothing: no retention after it.
	b.mu.Lock()
	b.status["acme"], b.calls = StatusFailed, nil
	b.mu.Unlock()
	c.Advance(time.Hour)
	eventually(t, "the failed run", func() bool { r := d.Status().Workspaces[0].LastRun; return r != nil && r.Status == StatusFailed })
	if got, want := b.Calls(), "backup acme"; got != want {
		t.Errorf("after a failed run: calls = %q, want %q", got, want)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if got := len(b.notified); got != 4 {
		t.Errorf("notified %d results, want 4", got)
	}
}

func TestNoOverlap(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	release := make(chan struct{})
	b.block["acme"] = release
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"}) // catch-up starts and blocks
	eventually(t, "the catch-up run", func() bool { return d.Status().Workspaces[0].Running })
	eventually(t, "the loop's timer", func() bool { return c.pending() >= 1 })
	c.Advance(time.Hour) // due while the catch-up still runs
	eventually(t, "a counted skip", func() bool { return d.sched.Status()[0].Skips == 1 })
	if _, err := d.Trigger("acme"); !errors.Is(err, ErrBusy) {
		t.Errorf("Trigger during a run: err = %v, want ErrBusy", err)
	}
	close(release)
	idle(t, d, c, 1)
	if got, want := b.Calls(), "backup acme,retain acme"; got != want {
		t.Errorf("calls = %q, want %q (one run only)", got, want)
	}
}

func TestTriggerAndWait(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"], b.lastOK["beta"] = t0, t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@daily"}, Workspace{Name: "beta", Schedule: "@daily"})
	idle(t, d, c, 2)
	if _, err := d.Trigger("nope"); !errors.Is(err, ErrUnknownWorkspace) {
		t.Errorf("Trigger(nope): err = %v, want ErrUnknownWorkspace", err)
	}
	ticket, err := d.Trigger("beta")
	if err != nil {
		t.Fatal(err)
	}
	info, err := d.Wait(context.Background(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != StatusComplete || info.Snapshot != "snap1" {
		t.Errorf("Wait = %+v, want complete snap1", info)
	}
	if got, want := b.Calls(), "backup beta,retain beta"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestStopAbortsTheRun(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.block["acme"] = make(chan struct{}) // never released: only Stop ends it
	d := start(t, b, map[string]string{}, Workspace{Name: "acme", Schedule: "@every 1h"})
	eventually(t, "the catch-up run", func() bool { return d.Status().Workspaces[0].Running })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	w := d.Status().Workspaces[0]
	if w.Running || w.LastRun == nil || w.LastRun.Status != StatusAborted {
		t.Errorf("after Stop: %+v, want not running, last run aborted", w)
	}
	if got, want := b.Calls(), "backup acme"; got != want {
		t.Errorf("calls = %q, want %q (no retention after an aborted run)", got, want)
	}
	if _, err := d.Trigger("acme"); !errors.Is(err, ErrStopping) {
		t.Errorf("Trigger after Stop: err = %v, want ErrStopping", err)
	}
}

func TestReload(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	release := make(chan struct{})
	b.block["acme"] = release
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"})
	eventually(t, "the catch-up run", func() bool { return d.Status().Workspaces[0].Running })

	if err := d.Reload(Settings{Workspaces: []Workspace{{Name: "acme", Schedule: "not a schedule"}}}); err == nil {
		t.Fatal("Reload with a bad schedule: no error")
	}
	if got := d.Status().Workspaces[0].Schedule; got != "@every 1h" {
		t.Errorf("after a failed reload: schedule = %q, want the old one", got)
	}
	b.lastOK["beta"] = t0
	if err := d.Reload(Settings{Workspaces: []Workspace{{Name: "acme", Schedule: "@every 2h"}, {Name: "beta", Schedule: "@daily"}}, Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	st := d.Status()
	if len(st.Workspaces) != 2 || st.Workspaces[0].Schedule != "@every 2h" || !st.Workspaces[0].Running {
		t.Fatalf("after reload: %+v, want acme still running on @every 2h, and beta", st.Workspaces)
	}
	// The run in progress counts as the new scheduler's catch-up: no second run.
	if _, err := d.Trigger("acme"); !errors.Is(err, ErrBusy) {
		t.Errorf("Trigger of the running workspace after reload: %v, want ErrBusy", err)
	}
	close(release)
	eventually(t, "the run to finish", func() bool { r := d.Status().Workspaces[0].LastRun; return r != nil && r.Status == StatusComplete })
	idle(t, d, c, 2)
	if got, want := b.Calls(), "backup acme,retain acme"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
}
