package scheduler

import "sync"

// Guard is the no-overlap rule: it holds the names of the jobs in flight
// (running, or started and waiting for a concurrency slot). A Scheduler
// claims a job's name before starting a run and releases it when the run
// has returned; a start that finds the name claimed is skipped.
//
// Each Scheduler makes its own Guard unless Options.Guard gives one.
// Schedulers that share a Guard never run two jobs of one name at once:
// that is how a caller that replaces its Scheduler on reload, while a run
// of the old one goes on, keeps the rule across the replacement. The zero
// value is not usable; call NewGuard.
type Guard struct {
	mu    sync.Mutex
	busy  map[string]bool
	again map[string]bool // one more run asked for while the name was in flight
}

// NewGuard returns a Guard with no job in flight.
func NewGuard() *Guard { return &Guard{busy: map[string]bool{}, again: map[string]bool{}} }

// InFlight reports whether a run of the named job is in flight in any
// Scheduler that uses g.
func (g *Guard) InFlight(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy[name]
}

// claim marks name in flight; it reports false when it already was.
func (g *Guard) claim(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[name] {
		return false
	}
	g.busy[name] = true
	return true
}

// claimOrQueue claims name like claim; when name is in flight it asks
// for one more run after the one in flight and reports false.
func (g *Guard) claimOrQueue(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[name] {
		g.again[name] = true
		return false
	}
	g.busy[name] = true
	return true
}

// release marks name no longer in flight, unless one more run was asked
// for (claimOrQueue) and rerun allows it: then name stays claimed, the
// request is consumed and release reports true. The check and the
// release are one step under g.mu, so a request that comes while a run
// ends is never lost between its end and the release.
func (g *Guard) release(name string, rerun bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if rerun && g.again[name] {
		delete(g.again, name)
		return true
	}
	delete(g.busy, name)
	delete(g.again, name)
	return false
}
