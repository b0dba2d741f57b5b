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
