package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNoOverlapSkipsAndCounts(t *testing.T) {
	clk := newFakeClock(base)
	rec := newRecorder(clk, true)
	logs := &syncBuffer{}
	s := newTestScheduler(t, Options{Clock: clk, WakeInterval: time.Hour,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))},
		Job{Name: "backup-prod", Spec: "@every 1m", Run: rec.run, LastSuccess: base})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectRunAt(t, clk, 1, rec, base.Add(time.Minute))
	// Three more activations pass while the first run is still going.
	advanceTo(t, clk, 1, base.Add(4*time.Minute))
	started, err := s.TriggerNow("backup-prod")
	if err != nil || started {
		t.Errorf("TriggerNow while running = %v, %v; want false, nil", started, err)
	}
	st := statusOf(t, s, "backup-prod")
	if got, want := [3]int64{st.Runs, st.Skips, boolInt(st.Running)}, [3]int64{1, 4, 1}; got != want {
		t.Errorf("runs, skips, running = %v, want %v", got, want)
	}
	rec.release <- struct{}{}
	waitIdle(t, s, "backup-prod")
	expectRunAt(t, clk, 1, rec, base.Add(5*time.Minute))
	stop(t, s)

	st = statusOf(t, s, "backup-prod")
	if st.Runs != 2 || st.Skips != 4 {
		t.Errorf("after stop runs, skips = %d, %d; want 2, 4", st.Runs, st.Skips)
	}
	if got := strings.Count(logs.String(), `"job":"backup-prod"`); got < 4 {
		t.Errorf("log lines with the job attribute = %d, want at least 4:\n%s", got, logs)
	}
	if got := strings.Count(logs.String(), "still in progress"); got != 4 {
		t.Errorf("skip log lines = %d, want 4", got)
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestConcurrencyCap(t *testing.T) {
	clk := newFakeClock(base)
	var running, peak atomic.Int32
	release := make(chan struct{})
	started := make(chan string, 10)
	mk := func(name string) Job {
		return Job{Name: name, Spec: "@hourly", LastSuccess: base, Run: func(ctx context.Context) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			started <- name
			<-release
			return nil
		}}
	}
	s := newTestScheduler(t, Options{Clock: clk, MaxConcurrent: 2, WakeInterval: time.Hour},
		mk("a"), mk("b"), mk("c"))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	advanceTo(t, clk, 3, base.Add(time.Hour))
	waitFor(t, started)
	waitFor(t, started)
	waiting := 0
	for _, st := range s.Status() {
		if st.Waiting {
			waiting++
		}
	}
	if waiting != 1 {
		t.Errorf("jobs waiting for a slot = %d, want 1", waiting)
	}
	release <- struct{}{} // one finishes, the waiting one takes its slot
	waitFor(t, started)
	close(release)
	stop(t, s)
	if got := peak.Load(); got != 2 {
		t.Errorf("peak concurrent runs = %d, want 2", got)
	}
	for _, st := range s.Status() {
		if st.Runs != 1 || st.Skips != 0 {
			t.Errorf("%s: runs, skips = %d, %d; want 1, 0", st.Name, st.Runs, st.Skips)
		}
	}
}

func waitFor(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitBound):
		t.Fatal("timed out waiting for a run")
		return ""
	}
}

func TestStopSkipsRunsWaitingForASlot(t *testing.T) {
	clk := newFakeClock(base)
	first := newRecorder(clk, true)
	second := newRecorder(clk, false)
	s := newTestScheduler(t, Options{Clock: clk, MaxConcurrent: 1, WakeInterval: time.Hour},
		Job{Name: "first", Spec: "@daily", Run: first.run, LastSuccess: base},
		Job{Name: "second", Spec: "@daily", Run: second.run, LastSuccess: base})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.BlockUntil(t, 2)
	if ok, err := s.TriggerNow("first"); !ok || err != nil {
		t.Fatalf("TriggerNow(first) = %v, %v", ok, err)
	}
	first.waitStarted(t)
	if ok, err := s.TriggerNow("second"); !ok || err != nil {
		t.Fatalf("TriggerNow(second) = %v, %v", ok, err)
	}
	stop(t, s)
	if got := second.got(); len(got) != 0 {
		t.Errorf("second ran %d times after stop, want 0", len(got))
	}
	st := statusOf(t, s, "second")
	if st.Runs != 0 || st.Skips != 1 || st.Waiting {
		t.Errorf("second runs, skips, waiting = %d, %d, %v; want 0, 1, false", st.Runs, st.Skips, st.Waiting)
	}
}

func TestTriggerNow(t *testing.T) {
	clk := newFakeClock(base)
	rec := newRecorder(clk, true)
	s := newTestScheduler(t, Options{Clock: clk},
		Job{Name: "j", Spec: "@daily", Run: rec.run, LastSuccess: base})
	if _, err := s.TriggerNow("j"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("before Start: err = %v, want ErrNotRunning", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("second Start: err = %v, want ErrAlreadyStarted", err)
	}
	if _, err := s.TriggerNow("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("unknown job: err = %v, want ErrUnknownJob", err)
	}
	if ok, err := s.TriggerNow("j"); !ok || err != nil {
		t.Errorf("first trigger = %v, %v; want true, nil", ok, err)
	}
	if at := rec.waitStarted(t); !at.Equal(base) {
		t.Errorf("triggered run at %s, want %s (no jitter, no wait)", at, base)
	}
	if ok, err := s.TriggerNow("j"); ok || err != nil {
		t.Errorf("trigger while running = %v, %v; want false, nil", ok, err)
	}
	rec.release <- struct{}{}
	stop(t, s)
	st := statusOf(t, s, "j")
	if st.Runs != 1 || st.Skips != 1 || st.LastError != "" || !st.LastSuccess.Equal(base) {
		t.Errorf("status = %+v; want 1 run, 1 skip, success at base", st)
	}
	if _, err := s.TriggerNow("j"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after Stop: err = %v, want ErrNotRunning", err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Stop succeeded, want an error")
	}
}

func TestStopCancelsRunningJobAndWaits(t *testing.T) {
	clk := newFakeClock(base)
	returned := make(chan struct{})
	started := make(chan string, 1)
	var sawCancel atomic.Bool
	job := Job{Name: "j", Spec: "@daily", LastSuccess: base, Run: func(ctx context.Context) error {
		defer close(returned)
		started <- "j"
		<-ctx.Done()
		sawCancel.Store(true)
		return ctx.Err()
	}}
	s := newTestScheduler(t, Options{Clock: clk}, job)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.TriggerNow("j"); !ok || err != nil {
		t.Fatalf("TriggerNow = %v, %v", ok, err)
	}
	waitFor(t, started)
	stop(t, s)
	select {
	case <-returned:
	default:
		t.Fatal("Stop returned before the job did")
	}
	if !sawCancel.Load() {
		t.Error("job context was not cancelled")
	}
	st := statusOf(t, s, "j")
	if st.Running || st.LastError != context.Canceled.Error() {
		t.Errorf("running, last error = %v, %q; want false, %q", st.Running, st.LastError, context.Canceled)
	}
	stop(t, s) // a second Stop is harmless
}

func TestStopWaitIsBounded(t *testing.T) {
	clk := newFakeClock(base)
	rec := newRecorder(clk, true)
	stubborn := make(chan struct{})
	job := Job{Name: "j", Spec: "@daily", LastSuccess: base, Run: func(ctx context.Context) error {
		rec.started <- clk.Now()
		<-stubborn // ignores its context
		return nil
	}}
	s := newTestScheduler(t, Options{Clock: clk}, job)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TriggerNow("j"); err != nil {
		t.Fatal(err)
	}
	rec.waitStarted(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop with an ended context = %v, want context.Canceled", err)
	}
	close(stubborn)
	stop(t, s)
}

func TestJobErrorsAndPanicsAreRecorded(t *testing.T) {
	tests := []struct {
		name string
		run  func(context.Context) error
		want string
	}{
		{"error", func(context.Context) error { return errors.New("list types: 503") }, "list types: 503"},
		{"panic", func(context.Context) error { panic("boom") }, "job panicked: boom"},
		{"success", func(context.Context) error { return nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(base)
			returned := make(chan string, 1)
			run := func(ctx context.Context) error {
				defer func() { returned <- "j" }()
				return tt.run(ctx)
			}
			s := newTestScheduler(t, Options{Clock: clk}, Job{Name: "j", Spec: "@daily", Run: run})
			if err := s.Start(context.Background()); err != nil { // never succeeded: catch-up
				t.Fatal(err)
			}
			waitFor(t, returned)
			stop(t, s)
			st := statusOf(t, s, "j")
			if st.LastError != tt.want || st.Runs != 1 || !st.LastEnd.Equal(base) {
				t.Errorf("last error, runs, end = %q, %d, %s; want %q, 1, %s", st.LastError, st.Runs, st.LastEnd, tt.want, base)
			}
			if gotOK := !st.LastSuccess.IsZero(); gotOK != (tt.want == "") {
				t.Errorf("LastSuccess = %s, want set only on success", st.LastSuccess)
			}
		})
	}
}
