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
//
// A run asked for with TriggerAfter is never dropped by a reload: when the
// scheduler that was to make it stops before the run had a slot, the
// request passes to the scheduler that started last with a job of that
// name (its owner), or waits in the Guard for the next one to start.
type Guard struct {
	mu      sync.Mutex
	busy    map[string]bool
	again   map[string]bool       // one more run asked for while the name was in flight
	owner   map[string]*Scheduler // the scheduler started last with a job of this name
	pending map[string]bool       // asked-for runs no scheduler could start yet
}

// NewGuard returns a Guard with no job in flight.
func NewGuard() *Guard {
	return &Guard{busy: map[string]bool{}, again: map[string]bool{},
		owner: map[string]*Scheduler{}, pending: map[string]bool{}}
}

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

// releaseUnstarted marks name no longer in flight after a run of from that
// never started (its scheduler stopped while it waited for a slot). When
// the run, or one after it, was asked for with TriggerAfter (asked), the
// request is not dropped: it returns the scheduler that now owns name, if
// that is another one, for the caller to hand the run to (outside any
// lock); with no other owner yet, the request waits for adopt.
func (g *Guard) releaseUnstarted(name string, from *Scheduler, asked bool) *Scheduler {
	g.mu.Lock()
	defer g.mu.Unlock()
	asked = asked || g.again[name]
	delete(g.busy, name)
	delete(g.again, name)
	if !asked {
		return nil
	}
	if o := g.owner[name]; o != nil && o != from {
		return o
	}
	g.pending[name] = true
	return nil
}

// adopt makes s the owner of name and reports, consuming it, whether a
// run asked for with TriggerAfter waits for a scheduler to make it.
func (g *Guard) adopt(name string, s *Scheduler) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.owner[name] = s
	if g.pending[name] {
		delete(g.pending, name)
		return true
	}
	return false
}
