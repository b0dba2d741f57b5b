package app

import (
	"os"
	"runtime"
	"sync"
	"time"
)

// The processor governor: while a backup fetches, the process runs on one
// processor (GOMAXPROCS 1) as long as it uses less than one core, and on
// the runtime's default (every core) while it needs more.
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
// fast API, a big commit) needs every core, so the governor samples the
// process's CPU time every procsTick and raises the processors to the
// default when the last tick used more than procsUp of a core, lowering
// them again below procsDown.
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
	lastCPU, lastAt := processCPU(), time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			cpu := processCPU()
			if cpu < 0 || lastCPU < 0 {
				lastCPU, lastAt = cpu, now
				continue
			}
			cores := float64(cpu-lastCPU) / float64(now.Sub(lastAt))
			lastCPU, lastAt = cpu, now
			if want := nextProcs(runtime.GOMAXPROCS(0), cores); want != runtime.GOMAXPROCS(0) {
				if want > 1 {
					runtime.SetDefaultGOMAXPROCS()
				} else {
					runtime.GOMAXPROCS(1)
				}
			}
		}
	}
}

// nextProcs is the processors to run on (1, or any other number meaning
// the default) after a tick that used cores of CPU on procs processors.
func nextProcs(procs int, cores float64) int {
	switch {
	case procs == 1 && cores > procsUp:
		return 0 // the default
	case procs != 1 && cores < procsDown:
		return 1
	}
	return procs
}
