package scheduler

import (
	"context"
	"testing"
)

// TestTriggerAfterQueuesOneMoreRun: TriggerAfter during a run asks for one
// more run right after it (however many times it is called), which a
// TriggerNow at the same moment would have skipped.
func TestTriggerAfterQueuesOneMoreRun(t *testing.T) {
	clk := newFakeClock(base)
	rec := newRecorder(clk, true)
	s := newTestScheduler(t, Options{Clock: clk},
		Job{Name: "j", Spec: "@daily", Run: rec.run, LastSuccess: base})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.TriggerAfter("j"); !ok || err != nil {
		t.Fatalf("first trigger = %v, %v; want true, nil", ok, err)
	}
	rec.waitStarted(t)
	for range 2 {
		if ok, err := s.TriggerAfter("j"); ok || err != nil {
			t.Errorf("trigger while running = %v, %v; want false, nil", ok, err)
		}
	}
	rec.release <- struct{}{}
	rec.waitStarted(t) // the run asked for
	rec.release <- struct{}{}
	stop(t, s)
	st := statusOf(t, s, "j")
	if st.Runs != 2 || st.Skips != 0 || st.Running {
		t.Errorf("status = %+v; want 2 runs, no skip", st)
	}
	if ok, err := s.TriggerAfter("j"); ok || err == nil {
		t.Errorf("after Stop = %v, %v; want an error", ok, err)
	}
}

// TestTriggerAfterSurvivesReload: a run asked for with TriggerAfter that is
// still waiting for a slot when its scheduler is replaced (the daemon's
// reload) is made by the replacement, whether the replacement starts
// before the old scheduler gives the run up or after.
func TestTriggerAfterSurvivesReload(t *testing.T) {
	for _, order := range []string{"replacement first", "replacement after"} {
		t.Run(order, func(t *testing.T) {
			clk := newFakeClock(base)
			guard := NewGuard()
			backup, push := newRecorder(clk, true), newRecorder(clk, false)
			jobs := func() []Job {
				return []Job{{Name: "b", Spec: "@daily", Run: backup.run, LastSuccess: base},
					{Name: "p", Spec: "@daily", Run: push.run, LastSuccess: base}}
			}
			old := newTestScheduler(t, Options{Clock: clk, Guard: guard, MaxConcurrent: 1}, jobs()...)
			if err := old.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ok, err := old.TriggerNow("b"); !ok || err != nil {
				t.Fatalf("trigger b = %v, %v", ok, err)
			}
			backup.waitStarted(t) // b holds the one slot
			if ok, err := old.TriggerAfter("p"); !ok || err != nil {
				t.Fatalf("trigger p = %v, %v; want a run waiting for the slot", ok, err)
			}
			replacement := newTestScheduler(t, Options{Clock: clk, Guard: guard, MaxConcurrent: 1}, jobs()...)
			if order == "replacement first" {
				if err := replacement.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			stop(t, old) // cancels b; p never had the slot
			if st := statusOf(t, old, "p"); st.Runs != 0 || st.Skips != 1 {
				t.Fatalf("old scheduler's p = %+v; want skipped before it ran", st)
			}
			if order == "replacement after" {
				if err := replacement.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			push.waitStarted(t)
			waitIdle(t, replacement, "p")
			stop(t, replacement)
			if got := len(push.got()); got != 1 {
				t.Errorf("push ran %d times; want 1", got)
			}
			if st := statusOf(t, replacement, "p"); st.Runs != 1 {
				t.Errorf("replacement's p = %+v; want the one run", st)
			}
		})
	}
}
