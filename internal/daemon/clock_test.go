package daemon

import (
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// testClock is a scheduler.Clock that moves only on Advance.
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*testTimer]bool
}

type testTimer struct {
	clock *testClock
	at    time.Time
	c     chan time.Time
}

func newTestClock(now time.Time) *testClock {
	return &testClock{now: now, timers: map[*testTimer]bool{}}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) NewTimer(d time.Duration) scheduler.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &testTimer{clock: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
	} else {
		c.timers[t] = true
	}
	return t
}

func (t *testTimer) C() <-chan time.Time { return t.c }

func (t *testTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	pending := t.clock.timers[t]
	delete(t.clock.timers, t)
	return pending
}

// Advance moves the clock by d and fires the timers that are due.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.at.After(c.now) {
			t.c <- c.now
			delete(c.timers, t)
		}
	}
}

// pending returns how many timers wait.
func (c *testClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// eventually polls cond every millisecond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
