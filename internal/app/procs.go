package app

import (
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// The processor governor: while a backup fetches, the process runs on one
// processor (GOMAXPROCS 1) while it neither keeps a core busy nor has
// goroutines queueing for the processor, and on the runtime's default
// (every core) while it does either.
//
// Why: a backup waits on the API most of the time (at 20 ms latency a
// 100,000-item first backup keeps a fifth of a core busy). Each answer
// wakes an idle process, and with a second processor idle the runtime
// wakes a second thread to look for work (a futex wake, a spin, a steal)
// and its monitor thread polls every 20 µs until all is idle again: on
// the 2-core test machine the same backup took 0.15 CPU-s less against a
// fake API without latency than with 20 ms. On one processor most of
// those wake-ups go: 5% less CPU for that backup at 20 ms, for 2 – 3% more
// wall time (answers that arrive together are read one after the other;
// docs/testing.md, Backup CPU). But a backup that the API keeps busy (a
// fast API, a big commit, a machine so loaded that one thread gets too
// little of it) needs every core, so the governor samples every procsTick
// the process's CPU time and the time its goroutines spent runnable
// before they ran (the runtime's /sched/latencies), and raises the
// processors to the default when the last tick used more than procsUp of
// a core or goroutines waited more than waitUp ticks in all, lowering
// them again below procsDown and waitDown. At 20 ms latency it raises for
// a tick now and then, when a batch is written; against a fake API
// without latency at the first tick, and stays there.
//
// Backups that overlap (the daemon) share one governor; the last to end
// gives the runtime its default back, as the run's final batch and commit
// do before they start, so they use every core. A GOMAXPROCS variable set
// by the user, a machine of one core or a system whose process CPU time
// is not read (procs_other.go) turns the governor off.

const (
	procsTick = 100 * time.Millisecond
	procsUp   = 0.75 // of a core: raise to the default above it
	procsDown = 0.5  // of a core: lower to one below it
	waitUp    = 2.0  // goroutines runnable, summed over a tick, per tick: raise above it
	waitDown  = 1.0  // and lower only below it
)

var governor struct {
	mu    sync.Mutex
	users int
	stop  chan struct{}
	done  chan struct{}
}

// governProcs starts the governor for a backup's fetching, or joins the
// one running; the returned function leaves it (once), and the last to
// leave stops it and restores the runtime's default.
func governProcs() (leave func()) {
	if os.Getenv("GOMAXPROCS") != "" || runtime.NumCPU() < 2 || processCPU() < 0 {
		return func() {}
	}
	governor.mu.Lock()
	governor.users++
	if governor.users == 1 {
		governor.stop, governor.done = make(chan struct{}), make(chan struct{})
		go runGovernor(governor.stop, governor.done)
	}
	governor.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			governor.mu.Lock()
			defer governor.mu.Unlock()
			governor.users--
			if governor.users == 0 {
				close(governor.stop)
				<-governor.done // the default is back
			}
		})
	}
}

// runGovernor sets the processors each tick until stop is closed, then
// gives the runtime its default back and closes done.
func runGovernor(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer runtime.SetDefaultGOMAXPROCS()
	runtime.GOMAXPROCS(1)
	t := time.NewTicker(procsTick)
	defer t.Stop()
	lastCPU, lastWait, lastAt := processCPU(), schedWait(), time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			cpu, wait := processCPU(), schedWait()
			tick := float64(now.Sub(lastAt))
			cores := float64(cpu-lastCPU) / tick
			waiting := float64(wait-lastWait) / tick
			lastCPU, lastWait, lastAt = cpu, wait, now
			setProcs(nextProcs(runtime.GOMAXPROCS(0), cores, waiting))
		}
	}
}

// setProcs runs the process on want processors: 1, or any other number
// for the runtime's default.
func setProcs(want int) {
	switch {
	case want == runtime.GOMAXPROCS(0):
	case want == 1:
		runtime.GOMAXPROCS(1)
	default:
		runtime.SetDefaultGOMAXPROCS()
	}
}

// schedSample reads the runtime's histogram of the time goroutines spent
// runnable before they ran.
var schedSample = []metrics.Sample{{Name: "/sched/latencies:seconds"}}

// schedWait is the time goroutines spent runnable, waiting for a
// processor, so far: each bucket's count at its lower bound, times
// schedTracked, as the runtime times one transition in schedTracked.
// The governor reads it from one goroutine only.
func schedWait() time.Duration {
	metrics.Read(schedSample)
	if schedSample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := schedSample[0].Value.Float64Histogram()
	var s float64
	for i, n := range h.Counts {
		if lo := h.Buckets[i]; lo > 0 && !math.IsInf(lo, 0) {
			s += float64(n) * lo
		}
	}
	return time.Duration(s * schedTracked * float64(time.Second))
}

// schedTracked is how many of a goroutine's transitions to running the
// runtime counts one of in /sched/latencies (gTrackingPeriod).
const schedTracked = 8

// nextProcs is the processors to run on (1, or any other number meaning
// the default) after a tick that used cores of CPU on procs processors,
// its goroutines waiting for one for waiting of the tick (summed).
func nextProcs(procs int, cores, waiting float64) int {
	switch {
	case procs == 1 && (cores > procsUp || waiting > waitUp):
		return 0 // the default
	case procs != 1 && cores < procsDown && waiting < waitDown:
		return 1
	}
	return procs
}
