package fakeapi

import (
	"slices"
	"sync"
	"time"
)

// Timeline is what a server with Options.RecordTimeline saw and sent over
// time: when each request started and each Retry-After window it opened.
// Times are those of the server's clock (Options.Now).
type Timeline struct {
	// Starts are the requests, in the order they arrived.
	Starts []Start
	// Windows are the Retry-After windows, in the order they were sent.
	Windows []Window
}

// Start is one request's arrival.
type Start struct {
	At    time.Time
	Key   int64  // the API key's id; 0 when the request had no valid key
	Route string // the route's name; "" when it matched none
}

// Window is one Retry-After the server sent: from the moment the 429 or
// 503 answer was written (Sent) until the moment its Retry-After asked the
// client to wait for (Until).
type Window struct {
	Sent, Until time.Time
	Key         int64
	Status      int
}

// Violation is a request that started inside a Retry-After window sent
// with the same key.
type Violation struct {
	Start  Start
	Window Window
}

// Violations returns the requests that started strictly after a 429 or 503
// with Retry-After was written and before that Retry-After ran out, sent
// with the key the answer went to: a client that honours Retry-After for
// the whole environment sends none. A request that started before the
// answer was written was in flight when the window opened and is no
// violation. Each request counts once, against the first window it falls
// in.
func (t Timeline) Violations() []Violation {
	var out []Violation
	for _, s := range t.Starts {
		for _, w := range t.Windows {
			if s.Key == w.Key && s.At.After(w.Sent) && s.At.Before(w.Until) {
				out = append(out, Violation{Start: s, Window: w})
				break
			}
		}
	}
	return out
}

// MaxInWindow returns the largest number of requests that started within
// any span of length d (half open: [t, t+d)), and when the first such span
// starts.
func (t Timeline) MaxInWindow(d time.Duration) (most int, from time.Time) {
	at := make([]time.Time, len(t.Starts))
	for i, s := range t.Starts {
		at[i] = s.At
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	j := 0
	for i := range at {
		for j < len(at) && at[j].Before(at[i].Add(d)) {
			j++
		}
		if j-i > most {
			most, from = j-i, at[i]
		}
	}
	return most, from
}

// timeline records a Timeline; its methods do nothing on a nil receiver,
// which is how a server without Options.RecordTimeline has it.
type timeline struct {
	mu sync.Mutex
	t  Timeline
}

func (tl *timeline) start(at time.Time, key int64, route string) {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.t.Starts = append(tl.t.Starts, Start{At: at, Key: key, Route: route})
}

func (tl *timeline) window(w Window) {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.t.Windows = append(tl.t.Windows, w)
}

// Timeline returns a copy of what the server recorded since it started;
// it is empty unless Options.RecordTimeline is set.
func (s *Server) Timeline() Timeline {
	if s.timeline == nil {
		return Timeline{}
	}
	s.timeline.mu.Lock()
	defer s.timeline.mu.Unlock()
	return Timeline{Starts: slices.Clone(s.timeline.t.Starts), Windows: slices.Clone(s.timeline.t.Windows)}
}
