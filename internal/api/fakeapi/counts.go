package fakeapi

import (
	"maps"
	"sync"
)

// RequestCounts are the server's counters since it started.
type RequestCounts struct {
	// Total counts every request, answered or not.
	Total int64
	// ByRoute counts requests by route name; requests that matched no
	// route count under "unmatched".
	ByRoute map[string]int64
	// ByMethod counts requests by HTTP method ("GET", "POST", ...).
	ByMethod map[string]int64
	// ByStatus counts requests by the status sent (for a reset or a
	// truncated body, the status in the headers); 0 counts writes dropped
	// without an answer.
	ByStatus map[int]int64
	// Faults counts injected faults by kind (FaultRateLimit, ...).
	Faults map[string]int64
	// EarlyRetries counts requests that arrived before the Retry-After
	// of an earlier answer to the same request line (method, path and
	// query) with the same key had run out: a client that does not honour
	// Retry-After.
	EarlyRetries int64
}

// counters holds the live counts and the number of times each request line
// was seen.
type counters struct {
	mu       sync.Mutex
	total    int64
	byRoute  map[string]int64
	byMethod map[string]int64
	byStatus map[int]int64
	faults   map[string]int64
	seen     map[uint64]int64 // by hash of the request line, to stay small in long runs
	waits    map[uint64]int64 // by hash of key and request line: unix ns a Retry-After asked to wait until
	early    int64
}

func (c *counters) init() {
	c.byRoute = map[string]int64{}
	c.byMethod = map[string]int64{}
	c.byStatus = map[int]int64{}
	c.faults = map[string]int64{}
	c.seen = map[uint64]int64{}
	c.waits = map[uint64]int64{}
}

// arrive counts a request.
func (c *counters) arrive(route, method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	c.byMethod[method]++
	if route == "" {
		route = "unmatched"
	}
	c.byRoute[route]++
}

// nth returns how many authenticated requests with this request line came
// before this one (0 the first time).
func (c *counters) nth(line string) int64 {
	h := hash64(0, "line", line, "", 0)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.seen[h]
	c.seen[h] = n + 1
	return n
}

// waitLine identifies a request line sent with a key, for Retry-After
// bookkeeping.
func waitLine(keyID int64, line string) uint64 { return hash64(keyID, "wait", line, "", 0) }

// checkWait counts a request that arrives at ns (unix nanoseconds) before
// the wait its line was given ran out as an early retry; one that arrives
// later ends the wait.
func (c *counters) checkWait(line uint64, ns int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.waits[line]
	switch {
	case !ok:
	case ns < until:
		c.early++
	default:
		delete(c.waits, line)
	}
}

// waitUntil notes that an answer asked the sender of line not to send it
// again before ns (unix nanoseconds).
func (c *counters) waitUntil(line uint64, ns int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits[line] = ns
}

// answered counts the status sent.
func (c *counters) answered(status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byStatus[status]++
}

// fault counts one injected fault.
func (c *counters) fault(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[kind]++
}

// Requests returns a copy of the counters.
func (s *Server) Requests() RequestCounts {
	c := &s.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	return RequestCounts{
		Total:    c.total,
		ByRoute:  maps.Clone(c.byRoute),
		ByMethod: maps.Clone(c.byMethod),
		ByStatus: maps.Clone(c.byStatus),
		Faults:   maps.Clone(c.faults),

		EarlyRetries: c.early,
	}
}

// Writes returns how many requests could change the fake's data: every
// method but GET, HEAD and OPTIONS, whatever the answer. Tests assert that
// a refused restore sent none.
func (c RequestCounts) Writes() int64 {
	var n int64
	for m, v := range c.ByMethod {
		switch m {
		case "GET", "HEAD", "OPTIONS":
		default:
			n += v
		}
	}
	return n
}
