package scheduler

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // zones for the time-zone and DST tests on any host
)

// base is a Monday morning in UTC.
var base = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// waitBound is the real-time bound for hand-offs between goroutines; only a
// broken scheduler reaches it.
const waitBound = 5 * time.Second

// recorder is a job function that records the fake time of each call.
type recorder struct {
	clock   Clock
	mu      sync.Mutex
	times   []time.Time
	started chan time.Time
	release chan struct{} // nil: return at once
}

func newRecorder(c Clock, blocking bool) *recorder {
	r := &recorder{clock: c, started: make(chan time.Time, 100)}
	if blocking {
		r.release = make(chan struct{})
	}
	return r
}

func (r *recorder) run(ctx context.Context) error {
	now := r.clock.Now()
	r.mu.Lock()
	r.times = append(r.times, now)
	r.mu.Unlock()
	r.started <- now
	if r.release == nil {
		return nil
	}
	select {
	case <-r.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *recorder) got() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.times)
}

// waitStarted waits for the next call of r and returns its fake time.
func (r *recorder) waitStarted(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-r.started:
		return at
	case <-time.After(waitBound):
		t.Fatal("timed out waiting for a run to start")
		return time.Time{}
	}
}

// advanceTo moves the fake clock to target one timer at a time, letting the
// scheduler's loops (loops of them) re-arm after each wake-up.
func advanceTo(t *testing.T, c *fakeClock, loops int, target time.Time) {
	t.Helper()
	for {
		c.BlockUntil(t, loops)
		deadlines := c.pendingDeadlines()
		earliest := slices.MinFunc(deadlines, func(a, b time.Time) int { return a.Compare(b) })
		now := c.Now()
		if earliest.After(target) {
			c.Advance(target.Sub(now))
			c.BlockUntil(t, loops)
			return
		}
		c.Advance(earliest.Sub(now))
	}
}

// expectRunAt advances the fake clock to at and checks that r starts there.
// The clock stays put until the run is seen, so the recorded time is exact.
func expectRunAt(t *testing.T, c *fakeClock, loops int, r *recorder, at time.Time) {
	t.Helper()
	advanceTo(t, c, loops, at)
	if got := r.waitStarted(t); !got.Equal(at) {
		t.Fatalf("run at %s, want %s", got, at)
	}
}

// waitIdle waits until the named job is neither running nor waiting for a
// slot: a run that returned still needs a moment to release its claim.
func waitIdle(t *testing.T, s *Scheduler, name string) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		st := statusOf(t, s, name)
		if !st.Running && !st.Waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %q still in flight: %+v", name, st)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// newTestScheduler builds a scheduler on a fake clock, failing on error.
func newTestScheduler(t *testing.T, opts Options, jobs ...Job) *Scheduler {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	s, err := New(opts, jobs...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// stop stops s and fails the test if running jobs do not return.
func stop(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func statusOf(t *testing.T, s *Scheduler, name string) JobStatus {
	t.Helper()
	for _, st := range s.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status for job %q", name)
	return JobStatus{}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
