package api

import (
	"sync"
	"time"
)

// Pause is the Retry-After pause of one server: after a 429 or 503 with
// Retry-After, no new request of any Client that shares it is sent before
// it ends. A Client has one of its own unless Options.Pause gives it one;
// clients of one server (two keys on one base URL, or the clients a config
// reload replaces) share a Pause so that a Retry-After received with one
// holds the requests of all. It is safe for concurrent use; the zero
// value is not paused.
type Pause struct {
	mu    sync.Mutex
	until time.Time // no request passes before this
}

// NewPause returns a Pause that is not paused.
func NewPause() *Pause { return &Pause{} }

// Until returns the end of the current pause, which is not after now when
// the server is not paused.
func (p *Pause) Until() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until
}

// extend pauses until until. It returns how much later the pause now ends
// than it did (0 when it already lasted as long) and whether a pause
// starts: nothing was paused at now.
func (p *Pause) extend(now, until time.Time) (added time.Duration, starts bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !until.After(p.until) || !until.After(now) {
		return 0, false
	}
	starts = !p.until.After(now)
	from := p.until
	if starts {
		from = now
	}
	p.until = until
	return until.Sub(from), starts
}
