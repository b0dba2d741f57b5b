package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// job is a Job with its parsed schedule and mutable status.
type job struct {
	Job
	sched cron.Schedule

	mu     sync.Mutex
	status JobStatus
}

// startLocked claims j's name in the Guard and launches a run in its own
// goroutine; it reports false, logging and counting a skip, when the name
// is already in flight (here, or in a scheduler sharing the Guard). The
// caller holds s.mu and has checked that the scheduler is not stopping.
func (s *Scheduler) startLocked(j *job, reason string) bool {
	j.mu.Lock()
	if !s.opts.Guard.claim(j.Name) {
		j.status.Skips++
		j.mu.Unlock()
		s.opts.Logger.Warn("scheduler: run skipped, previous run still in progress",
			slog.String("job", j.Name), slog.String("reason", reason))
		return false
	}
	j.status.Waiting = true
	j.mu.Unlock()
	s.wg.Add(1)
	go s.run(j, reason, false)
	return true
}

// startAfterLocked starts j like startLocked, but when j is in flight it
// asks for one more run after the one in flight (TriggerAfter) and
// reports false. The caller holds s.mu and has checked that the scheduler
// is not stopping.
func (s *Scheduler) startAfterLocked(j *job, reason string) bool {
	j.mu.Lock()
	if !s.opts.Guard.claimOrQueue(j.Name) {
		j.mu.Unlock()
		s.opts.Logger.Info("scheduler: run in progress, one more asked for after it", slog.String("job", j.Name))
		return false
	}
	j.status.Waiting = true
	j.mu.Unlock()
	s.wg.Add(1)
	go s.run(j, reason, true)
	return true
}

// handOver gives a run asked for with TriggerAfter, which this stopping
// scheduler could not start, to heir, the scheduler that replaced it.
func (s *Scheduler) handOver(heir *Scheduler, name string, log *slog.Logger) {
	if _, err := heir.TriggerAfter(name); err != nil {
		log.Info("scheduler: asked-for run dropped, the scheduler that replaced this one is not running", slog.Any("err", err))
		return
	}
	log.Info("scheduler: asked-for run handed to the scheduler that replaced this one")
}

// run waits for a concurrency slot, calls the job and records the outcome.
// asked is true for a run TriggerAfter started: if the scheduler stops
// before the run has a slot, the request passes on (Guard.releaseUnstarted).
func (s *Scheduler) run(j *job, reason string, asked bool) {
	defer s.wg.Done()
	log := s.opts.Logger.With(slog.String("job", j.Name), slog.String("reason", reason))
	if !s.acquire() {
		j.mu.Lock()
		j.status.Waiting = false
		j.status.Skips++
		heir := s.opts.Guard.releaseUnstarted(j.Name, s, asked)
		j.mu.Unlock()
		log.Info("scheduler: run skipped, scheduler stopping while waiting for a slot")
		if heir != nil {
			s.handOver(heir, j.Name, log)
		}
		return
	}
	defer func() { <-s.slots }()

	for again := true; again; {
		again = s.once(j, log)
	}
}

// once calls the job once and records the outcome. It reports true when
// a run was asked for meanwhile (TriggerAfter): the name stays claimed
// and the caller runs the job again at once. A stopped scheduler runs it
// too: the request belongs to the run that was in flight, and the
// caller's Run decides what a run during a stop does.
func (s *Scheduler) once(j *job, log *slog.Logger) bool {
	start := s.opts.Clock.Now()
	j.mu.Lock()
	j.status.Waiting, j.status.Running = false, true
	j.status.LastStart = start
	j.status.Runs++
	j.mu.Unlock()
	log.Info("scheduler: run started")

	err := call(s.ctx, j.Run)

	end := s.opts.Clock.Now()
	j.mu.Lock()
	j.status.Running = false
	j.status.LastEnd = end
	j.status.LastError = ""
	if err != nil {
		j.status.LastError = err.Error()
	} else {
		j.status.LastSuccess = end
	}
	again := s.opts.Guard.release(j.Name, true)
	j.mu.Unlock()
	if err != nil {
		log.Error("scheduler: run failed", slog.Duration("took", end.Sub(start)), slog.Any("err", err))
		return again
	}
	log.Info("scheduler: run finished", slog.Duration("took", end.Sub(start)))
	return again
}

// acquire takes a concurrency slot; it returns false once the scheduler is
// stopping, even if a slot is free at the same moment.
func (s *Scheduler) acquire() bool {
	select {
	case s.slots <- struct{}{}:
	case <-s.ctx.Done():
		return false
	}
	if s.ctx.Err() != nil {
		<-s.slots
		return false
	}
	return true
}

// call runs fn, turning a panic into an error so one bad job cannot take
// the daemon down.
func call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job panicked: %v", r)
		}
	}()
	return fn(ctx)
}

// sleep waits d on the scheduler's clock; it returns false if the scheduler
// stopped first.
func (s *Scheduler) sleep(d time.Duration) bool {
	t := s.opts.Clock.NewTimer(d)
	select {
	case <-t.C():
		return true
	case <-s.ctx.Done():
		t.Stop()
		return false
	}
}

// loop drives one job: it sleeps until the next activation in steps of at
// most WakeInterval, re-reading the wall clock after every wake-up.
func (s *Scheduler) loop(j *job) {
	defer s.wg.Done()
	loc := s.opts.Location
	now := s.opts.Clock.Now()
	next := nextActivation(j.sched, loc, now)
	for {
		j.setNext(next)
		wait := next.Sub(now)
		wait = max(0, min(wait, s.opts.WakeInterval))
		if !s.sleep(wait) {
			return
		}
		prev := now
		now = s.opts.Clock.Now()
		if now.Before(next) {
			if now.Before(prev) { // the wall clock was set back
				next = nextActivation(j.sched, loc, now)
			}
			continue
		}
		// Due: one run, however many activations a forward jump passed over.
		if s.opts.Jitter > 0 {
			if !s.sleep(time.Duration(s.opts.Rand(int64(s.opts.Jitter) + 1))) {
				return
			}
		}
		s.tryStart(j, "schedule")
		now = s.opts.Clock.Now()
		next = nextActivation(j.sched, loc, maxTime(now, next))
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (j *job) setNext(t time.Time) {
	j.mu.Lock()
	j.status.NextRun = t
	j.mu.Unlock()
}
