package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/listenauth"
	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// Daemon schedules the backups and serves their state. Build it with New,
// then Start, Serve, Reload and Stop; its methods are safe for concurrent use.
type Daemon struct {
	opts    Options
	auth    *listenauth.Guard
	log     *slog.Logger
	metrics *metrics
	offsite *offsiteWatch
	started time.Time

	runCtx     context.Context // the context of every backup; cancelled by Stop
	cancelRuns context.CancelFunc
	runs       sync.WaitGroup // runs in progress, across scheduler generations
	// guard is the scheduler's no-overlap rule, shared by every scheduler
	// the daemon builds so that it holds across a reload.
	guard *scheduler.Guard

	mu       sync.Mutex
	settings Settings
	sched    *scheduler.Scheduler
	states   map[string]*wsState
	retired  map[string]int64       // skips counted by schedulers a reload replaced
	replaced []*scheduler.Scheduler // schedulers a reload replaced; Stop waits for their goroutines
	stopping bool
	stopOnce sync.Once

	server   *server
	watchdog chan struct{} // closed by Stop to end the watchdog loop
	halted   chan struct{} // closed by Stop once the runs have ended (or the wait gave up)
}

// wsState is what the daemon knows of one workspace.
type wsState struct {
	running   bool // for status; the scheduler's Guard prevents overlap
	startedAt time.Time
	history   History
	finished  uint64        // runs finished since Start
	done      chan struct{} // closed (and replaced) when a run finishes
	last      *RunInfo      // the last run this process finished
}

// New checks the settings (every schedule must parse) and returns a Daemon
// that does nothing until Start.
func New(opts Options, s Settings) (*Daemon, error) {
	if opts.Jobs == nil || opts.DB == nil {
		return nil, errors.New("daemon: Jobs and DB are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = scheduler.RealClock()
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Token == "" {
		opts.Token = listenauth.NewSecret()
	}
	auth, err := listenauth.New(listenauth.Options{Token: opts.Token, Hosts: append(slices.Clone(opts.Hosts), listenHost(opts.Listen)),
		Now: opts.Clock.Now})
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	opts.Token = "" // the guard keeps it
	d := &Daemon{opts: opts, auth: auth, log: opts.Logger, states: map[string]*wsState{}, retired: map[string]int64{},
		watchdog: make(chan struct{}), halted: make(chan struct{}), guard: scheduler.NewGuard()}
	d.runCtx, d.cancelRuns = context.WithCancel(context.Background())
	if _, err := d.newScheduler(s); err != nil { // checked now, built again at Start
		return nil, err
	}
	d.settings = s
	d.metrics = newMetrics(d)
	d.offsite = newOffsiteWatch(d.metrics.reg, opts.Clock.Now())
	d.offsite.settings(s)
	return d, nil
}

// newScheduler builds a scheduler with one job per workspace; each job's
// last success is what the daemon knows, for the catch-up decision. The
// caller holds d.mu (or is New).
func (d *Daemon) newScheduler(s Settings) (*scheduler.Scheduler, error) {
	jobs := make([]scheduler.Job, 0, len(s.Workspaces))
	for _, ws := range s.Workspaces {
		name := ws.Name
		var last time.Time
		if st := d.states[name]; st != nil {
			last = st.history.LastOK
			if st.running {
				last = d.opts.Clock.Now() // the run in progress is the catch-up
			}
		}
		if ws.Replication {
			// A replication writes to its target: it runs at its scheduled
			// times (or when triggered), never as a catch-up at start.
			last = d.opts.Clock.Now()
		}
		if ws.Scrub && last.IsZero() {
			// Never scrubbed: the first scrub waits for its scheduled time
			// rather than read the whole database as the daemon starts.
			last = d.opts.Clock.Now()
		}
		jobs = append(jobs, scheduler.Job{Name: name, Spec: ws.Schedule, LastSuccess: last,
			Run: func(context.Context) error { return d.execute(name) }})
	}
	sched, err := scheduler.New(scheduler.Options{Location: s.Location, Jitter: d.opts.Jitter, Clock: d.opts.Clock,
		Logger: d.log, Guard: d.guard}, jobs...)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return sched, nil
}

// Start reads each workspace's history, schedules every workspace (with a
// catch-up run for those whose last success is older than their period),
// tells systemd READY=1 and starts the watchdog pings when systemd asks
// for them.
func (d *Daemon) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.started = d.opts.Clock.Now()
	for _, ws := range d.settings.Workspaces {
		d.loadState(ws.Name)
	}
	sched, err := d.newScheduler(d.settings)
	if err != nil {
		return err
	}
	if err := sched.Start(d.runCtx); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	d.sched = sched
	d.notifySystemd("READY=1\nSTATUS=" + d.settings.summary())
	if every := watchdogInterval(d.opts.Getenv); every > 0 {
		go d.pingWatchdog(every / 2)
	}
	ws, repl, other := d.settings.counts()
	d.log.Info("daemon started", "workspaces", ws, "replications", repl, "other_jobs", other)
	return nil
}

// loadState reads a workspace's history into its state (creating it).
// The caller holds d.mu.
func (d *Daemon) loadState(name string) {
	st := d.states[name]
	if st == nil {
		st = &wsState{done: make(chan struct{})}
		d.states[name] = st
	}
	h, err := d.opts.Jobs.JobHistory(name)
	if err != nil {
		d.log.Error("read the history of a workspace", "workspace", name, "err", err)
		return
	}
	st.history = h
	d.metrics.history(name, h)
}

// Reload replaces the schedules with s. A backup in progress continues;
// on error the old schedules stay.
func (d *Daemon) Reload(s Settings) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping {
		return ErrStopping
	}
	for _, ws := range s.Workspaces {
		if d.states[ws.Name] == nil {
			d.loadState(ws.Name)
		}
	}
	sched, err := d.newScheduler(s)
	if err != nil {
		return err
	}
	if old := d.sched; old != nil {
		for _, js := range old.Status() {
			d.retired[js.Name] += js.Skips
		}
		stopped, cancel := context.WithCancel(context.Background())
		cancel() // stop at once: the runs belong to the daemon, not the scheduler
		_ = old.Stop(stopped)
		d.replaced = append(d.replaced, old)
	}
	if err := sched.Start(d.runCtx); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	d.sched, d.settings = sched, s
	d.metrics.forgetRemoved(s)
	d.offsite.settings(s)
	ws, repl, other := s.counts()
	d.log.Info("schedules reloaded", "workspaces", ws, "replications", repl, "other_jobs", other)
	return nil
}

// Stop stops starting runs, aborts those in progress and waits for them,
// then shuts the listener down; ctx bounds the whole. It tells systemd
// STOPPING=1 first. Calling it again returns at once.
func (d *Daemon) Stop(ctx context.Context) error {
	var err error
	d.stopOnce.Do(func() {
		d.notifySystemd("STOPPING=1")
		close(d.watchdog)
		d.mu.Lock()
		d.stopping = true
		sched := d.sched
		d.mu.Unlock()
		if sched != nil {
			stopped, cancel := context.WithCancel(context.Background())
			cancel()
			_ = sched.Stop(stopped) // its jobs are ours: waited for below
		}
		d.cancelRuns()
		done := make(chan struct{})
		go func() {
			d.runs.Wait()
			close(done)
		}()
		select {
		case <-done:
			// The schedulers log each run's end after it returns: wait for
			// them too, so that nothing of the daemon outlives Stop.
			d.mu.Lock()
			scheds := append([]*scheduler.Scheduler{sched}, d.replaced...)
			d.mu.Unlock()
			for _, sc := range scheds {
				if sc != nil {
					_ = sc.Stop(ctx)
				}
			}
		case <-ctx.Done():
			err = fmt.Errorf("daemon: stop: a run did not end in time: %w", ctx.Err())
		}
		close(d.halted)
		if d.server != nil {
			if serr := d.server.shutdown(ctx); serr != nil && err == nil {
				err = serr
			}
		}
		d.log.Info("daemon stopped")
	})
	return err
}

// execute is a job's function: one run of the workspace, then retention,
// history and notification. It returns the run's error for the scheduler's
// log.
func (d *Daemon) execute(name string) error {
	d.mu.Lock()
	st := d.states[name]
	if st == nil || d.stopping {
		d.mu.Unlock()
		return nil
	}
	// No other run of name is in flight: the scheduler claimed it in the
	// Guard every scheduler of this daemon shares.
	st.running, st.startedAt = true, d.opts.Clock.Now()
	d.runs.Add(1)
	d.mu.Unlock()
	defer d.runs.Done()

	replication, scrub := d.jobKind(name)
	offsite := d.isOffsite(name)
	var res Result
	switch {
	case offsite:
		res = d.opts.Jobs.RunOffsitePush(d.runCtx, name)
	case scrub:
		res = d.opts.Jobs.RunScrub(d.runCtx)
	case replication:
		res = d.opts.Jobs.RunReplication(d.runCtx, name)
	default:
		res = d.opts.Jobs.RunBackup(d.runCtx, name)
	}
	res.Workspace = name
	var pruned int64
	if !replication && !scrub && !offsite && (res.Status == StatusComplete || res.Status == StatusPartial) && d.runCtx.Err() == nil {
		ret, err := d.opts.Jobs.RetainJob(d.runCtx, name)
		if err != nil {
			d.log.Error("retention after the backup failed", "workspace", name, "err", err)
		} else {
			pruned = ret.PrunedBytes
			d.log.Info("retention applied", "workspace", name, "removed", ret.Removed, "pruned_bytes", ret.PrunedBytes)
		}
	}
	switch {
	case scrub:
		d.metrics.scrub(res)
	case offsite:
		d.offsite.pushed(d.workspace(name), &res, d.opts.Clock.Now(), func() (time.Time, error) {
			return d.opts.Jobs.OffsiteLastReceived(d.runCtx, name)
		})
	default:
		d.metrics.run(res, pruned)
	}
	d.opts.Jobs.Notify(d.runCtx, res)

	d.mu.Lock()
	d.loadState(name)
	info := res.RunInfo
	st.last, st.running = &info, false
	if st.history.LastRun == nil || !st.history.LastRun.StartedAt.After(info.StartedAt) {
		st.history.LastRun = &info // the caller's history may lag or map outcomes differently
	}
	if info.Status != StatusAborted {
		st.history.LastBackup = &info
	}
	st.finished++
	close(st.done)
	st.done = make(chan struct{})
	d.mu.Unlock()

	if !replication && !scrub && !offsite && res.Snapshot != "" {
		d.pushAfterBackup()
	}
	if res.Status == StatusComplete || res.Status == StatusPartial {
		return nil
	}
	what := "backup"
	switch {
	case offsite:
		what = "offsite push"
	case scrub:
		what = "scrub"
	case replication:
		what = "replication"
	}
	return fmt.Errorf("%s of %s %s: %s", what, name, res.Status, res.Error)
}

// workspace returns the settings of the job name (zero when a reload
// removed it).
func (d *Daemon) workspace(name string) Workspace {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ws := range d.settings.Workspaces {
		if ws.Name == name {
			return ws
		}
	}
	return Workspace{Name: name}
}

// isOffsite reports whether the job name is an offsite target's push.
func (d *Daemon) isOffsite(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ws := range d.settings.Workspaces {
		if ws.Name == name {
			return ws.Offsite
		}
	}
	return false
}

// pushAfterBackup starts the push of every offsite target that is pushed
// after each backup. When a push of the target is in flight (it may have
// listed the local snapshots before this backup committed), one more push
// runs right after it (scheduler.TriggerAfter), rather than wait for the
// target's catch-up schedule.
//
// Runs of one scheduler never overlap (MaxConcurrent is 1), so this
// happens when a push of the scheduler a reload replaced still runs, or a
// push is waiting for the slot (then the extra push finds little to do;
// if a reload stops the scheduler first, its replacement makes the push);
// a test that holds a push and waits for a backup of the same scheduler
// waits forever, the backup waiting for the one slot.
// A flag set here and read at the end of execute cannot do it: between
// that read and the scheduler's release of the name, a trigger is refused
// and the flag is set too late, so the push it asked for never runs.
func (d *Daemon) pushAfterBackup() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var names []string
	for _, ws := range d.settings.Workspaces {
		if ws.Offsite && ws.AfterBackup {
			names = append(names, ws.Name)
		}
	}
	if d.stopping || d.sched == nil {
		return
	}
	for _, n := range names {
		started, err := d.sched.TriggerAfter(n)
		switch {
		case err != nil:
			d.log.Info("offsite push after the backup not started", "job", n, "err", err)
		case !started:
			d.log.Info("offsite push in progress: one more push after it", "job", n)
		}
	}
}

// jobKind reports whether the job name is a replication or the scrub.
func (d *Daemon) jobKind(name string) (replication, scrub bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ws := range d.settings.Workspaces {
		if ws.Name == name {
			return ws.Replication, ws.Scrub
		}
	}
	return false, false
}
