package api

import (
	"maps"
	"sync"
	"time"
)

// RequestStats counts what a Client sent and how often it had to wait. The
// counts cover every attempt, retries included.
type RequestStats struct {
	Requests int         // attempts sent
	ByStatus map[int]int // attempts by HTTP status; 0 counts those without a complete answer (transport errors, timeouts, bodies over the limit)
	Retries  int         // attempts that repeated a failed one
	// Waits counts the pauses before a retry (backoff or Retry-After), and
	// WaitTime is the sum of those pauses.
	Waits    int
	WaitTime time.Duration
	// Throttled counts the attempts the rate limit or a pause held back
	// before sending, and ThrottleTime the sum of those delays.
	Throttled    int
	ThrottleTime time.Duration
	// Pauses counts the times a 429 or 503 with Retry-After paused the
	// whole client (every new request held until it ran out), and
	// PausedFor is how long the client was paused in all (overlapping
	// pauses count once).
	Pauses    int
	PausedFor time.Duration
}

// stats is RequestStats behind a mutex.
type stats struct {
	mu sync.Mutex
	s  RequestStats
}

func (st *stats) attempt(status int, retry bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Requests++
	if st.s.ByStatus == nil {
		st.s.ByStatus = make(map[int]int)
	}
	st.s.ByStatus[status]++
	if retry {
		st.s.Retries++
	}
}

func (st *stats) wait(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Waits++
	st.s.WaitTime += d
}

func (st *stats) throttle(d time.Duration) {
	if d <= 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Throttled++
	st.s.ThrottleTime += d
}

func (st *stats) pause(added time.Duration, starts bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if starts {
		st.s.Pauses++
	}
	st.s.PausedFor += added
}

func (st *stats) snapshot() RequestStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.s
	out.ByStatus = maps.Clone(st.s.ByStatus)
	if out.ByStatus == nil {
		out.ByStatus = map[int]int{}
	}
	return out
}
