package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Sentinel errors returned by the scheduler.
var (
	// ErrUnknownJob is returned by TriggerNow for a name no job has.
	ErrUnknownJob = errors.New("unknown job")
	// ErrNotRunning is returned by TriggerNow before Start or after Stop.
	ErrNotRunning = errors.New("scheduler not running")
	// ErrAlreadyStarted is returned by a second call to Start.
	ErrAlreadyStarted = errors.New("scheduler already started")
	// ErrInvalidJob is wrapped by New when a job is malformed.
	ErrInvalidJob = errors.New("invalid job")
)

// DefaultWakeInterval is the longest the scheduler sleeps before reading the
// wall clock again when Options.WakeInterval is zero.
const DefaultWakeInterval = time.Minute

// Job describes one scheduled function.
type Job struct {
	// Name identifies the job in logs, status and TriggerNow; unique and non-empty.
	Name string
	// Spec is a standard 5-field cron spec or a descriptor such as "@daily"
	// or "@every 6h", parsed with cron.ParseStandard ("CRON_TZ=" prefixes work).
	Spec string
	// Run is called for every run; its context is cancelled by Stop.
	Run func(ctx context.Context) error
	// LastSuccess is the end of the job's last successful run before this
	// process started (zero means never); it decides the catch-up run at Start.
	LastSuccess time.Time
}

// Options configures a Scheduler; the zero value is usable.
type Options struct {
	// Location is the time zone schedules are computed in; nil means time.Local.
	Location *time.Location
	// MaxConcurrent caps how many runs execute at once; values below 1 mean 1.
	MaxConcurrent int
	// Jitter is the upper bound of a random delay before each scheduled run
	// (catch-up and triggered runs start without it); zero disables it.
	Jitter time.Duration
	// Rand returns a uniform value in [0, n) for n > 0; nil uses math/rand/v2.
	Rand func(n int64) int64
	// Clock is the time source; nil means RealClock().
	Clock Clock
	// WakeInterval bounds each sleep so wall-clock jumps are noticed;
	// zero means DefaultWakeInterval.
	WakeInterval time.Duration
	// Logger receives run, skip and error records; nil means slog.Default().
	Logger *slog.Logger
	// Guard holds the jobs in flight, for the no-overlap rule; nil means a
	// Guard of this Scheduler's own. Give schedulers that replace one
	// another the same Guard so that a run of the old one still blocks the
	// same name in the new one.
	Guard *Guard
}

// Scheduler runs jobs on their cron schedules. It is safe for concurrent use.
type Scheduler struct {
	opts  Options
	jobs  []*job
	byKey map[string]*job
	slots chan struct{}

	mu      sync.Mutex
	started bool
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New validates the jobs, parses their specs and returns a Scheduler that
// does nothing until Start.
func New(opts Options, jobs ...Job) (*Scheduler, error) {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.MaxConcurrent < 1 {
		opts.MaxConcurrent = 1
	}
	if opts.Jitter < 0 {
		return nil, fmt.Errorf("scheduler: negative jitter %s", opts.Jitter)
	}
	if opts.Rand == nil {
		opts.Rand = rand.Int64N
	}
	if opts.Clock == nil {
		opts.Clock = RealClock()
	}
	if opts.WakeInterval <= 0 {
		opts.WakeInterval = DefaultWakeInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Guard == nil {
		opts.Guard = NewGuard()
	}
	s := &Scheduler{
		opts:  opts,
		byKey: make(map[string]*job, len(jobs)),
		slots: make(chan struct{}, opts.MaxConcurrent),
	}
	now := opts.Clock.Now()
	for _, j := range jobs {
		parsed, err := newJob(j, opts.Location, now)
		if err != nil {
			return nil, fmt.Errorf("scheduler: %w", err)
		}
		if _, dup := s.byKey[j.Name]; dup {
			return nil, fmt.Errorf("scheduler: job %q: duplicate name: %w", j.Name, ErrInvalidJob)
		}
		s.byKey[j.Name] = parsed
		s.jobs = append(s.jobs, parsed)
	}
	return s, nil
}

func newJob(j Job, loc *time.Location, now time.Time) (*job, error) {
	if j.Name == "" {
		return nil, fmt.Errorf("job with spec %q: empty name: %w", j.Spec, ErrInvalidJob)
	}
	if j.Run == nil {
		return nil, fmt.Errorf("job %q: nil run function: %w", j.Name, ErrInvalidJob)
	}
	parsed, err := ParseSchedule(j.Spec)
	if err != nil {
		return nil, fmt.Errorf("job %q: parse spec %q: %w: %w", j.Name, j.Spec, ErrInvalidJob, err)
	}
	sched := parsed.sched
	if nextActivation(sched, loc, now).IsZero() {
		return nil, fmt.Errorf("job %q: spec %q never activates: %w", j.Name, j.Spec, ErrInvalidJob)
	}
	return &job{Job: j, sched: sched, status: JobStatus{Name: j.Name, Spec: j.Spec, LastSuccess: j.LastSuccess}}, nil
}

// Start runs the catch-up runs that are due and then schedules every job.
// Cancelling ctx has the same effect as Stop without the wait.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("scheduler: start: %w", ErrAlreadyStarted)
	}
	if s.stopped {
		return fmt.Errorf("scheduler: start after stop: %w", ErrNotRunning)
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(ctx)
	now := s.opts.Clock.Now()
	for _, j := range s.jobs {
		switch {
		case s.opts.Guard.adopt(j.Name, s):
			s.startAfterLocked(j, "asked for before a reload")
		case s.catchUpDue(j, now):
			s.startLocked(j, "catch-up")
		}
		s.wg.Add(1)
		go s.loop(j)
	}
	return nil
}

// catchUpDue reports whether j's last success is older than its period.
func (s *Scheduler) catchUpDue(j *job, now time.Time) bool {
	if j.LastSuccess.IsZero() {
		return true
	}
	return now.Sub(j.LastSuccess) > period(j.sched, s.opts.Location, now)
}

// Stop stops starting runs, cancels the context of running jobs and waits
// for them to return, or for ctx to end, whichever comes first. It may be
// called more than once, and before Start.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler: stop: wait for running jobs: %w", ctx.Err())
	}
}

// TriggerNow starts the named job at once, without jitter. It reports
// false when the job is already running or waiting for a slot: like a
// scheduled start, that attempt is skipped and counted.
func (s *Scheduler) TriggerNow(name string) (bool, error) {
	j, ok := s.byKey[name]
	if !ok {
		return false, fmt.Errorf("scheduler: trigger %q: %w", name, ErrUnknownJob)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped || s.ctx.Err() != nil {
		return false, fmt.Errorf("scheduler: trigger %q: %w", name, ErrNotRunning)
	}
	return s.startLocked(j, "trigger"), nil
}

// TriggerAfter starts the named job at once like TriggerNow; when a run
// of it is in flight (in any Scheduler sharing the Guard), it asks for one
// more run right after that one instead, and reports false. Requests made
// during one run make one more run. Use it when the run in flight may
// have begun before what the new run is for (a push asked for by a backup
// that finished while the previous push ran).
func (s *Scheduler) TriggerAfter(name string) (bool, error) {
	j, ok := s.byKey[name]
	if !ok {
		return false, fmt.Errorf("scheduler: trigger %q: %w", name, ErrUnknownJob)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped || s.ctx.Err() != nil {
		return false, fmt.Errorf("scheduler: trigger %q: %w", name, ErrNotRunning)
	}
	return s.startAfterLocked(j, "trigger"), nil
}

// tryStart starts j unless the scheduler is stopping; see startLocked.
func (s *Scheduler) tryStart(j *job, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.ctx.Err() != nil {
		return false
	}
	return s.startLocked(j, reason)
}
