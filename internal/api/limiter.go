package api

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// limiter is the one gate every request of a Client passes: a cap on the
// requests in flight, the pause a Retry-After puts on the whole client (a
// Pause, which other clients of the same server may share) and,
// optionally, the request rate. A request holds its slot from sending to
// reading the last byte of the answer, and gives it back before any wait
// for a retry.
//
// The rate is a spacing, not a bucket: two requests pass the gate at least
// 1/rate apart, measured on the clock when each passes, so that no span of
// one second holds more than ceil(rate) of them, from the first request on.
type limiter struct {
	slots    *semaphore.Weighted
	interval time.Duration // between two requests; 0 when the rate is unlimited
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	paused *Pause // no request passes before its end (a Retry-After)

	mu   sync.Mutex
	next time.Time // the earliest the next request may pass for the rate
}

// newLimiter returns a limiter; paused nil means a Pause of its own.
func newLimiter(concurrency int, perSecond float64, paused *Pause, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	if paused == nil {
		paused = NewPause()
	}
	l := &limiter{
		slots:  semaphore.NewWeighted(int64(concurrency)),
		paused: paused,
		now:    now,
		sleep:  sleep,
	}
	if perSecond > 0 {
		// Rounded up: ceil(rate)+1 requests never fit in one second.
		l.interval = time.Duration(math.Ceil(float64(time.Second) / perSecond))
	}
	return l
}

// acquire waits for a slot, then for the end of any pause and for the rate
// limit, all honouring ctx. It returns how long the pause and the rate
// held the request back, and release, which gives the slot back.
//
// A pause is waited for once: the sleep is trusted to last as long as
// asked, as the retry loop trusts it, and only a pause extended meanwhile
// is waited for again. The rate is checked again after every sleep.
func (l *limiter) acquire(ctx context.Context) (held time.Duration, release func(), err error) {
	if err := l.slots.Acquire(ctx, 1); err != nil {
		return 0, nil, err
	}
	release = func() { l.slots.Release(1) }
	var waitedFor time.Time // the end of the latest pause already waited for
	for {
		paused := l.paused.Until()
		l.mu.Lock()
		now := l.now()
		var wait time.Duration
		switch {
		case paused.After(waitedFor) && paused.After(now):
			wait, waitedFor = paused.Sub(now), paused
		case l.interval > 0 && now.Before(l.next):
			wait = l.next.Sub(now)
		default:
			if l.interval > 0 {
				l.next = now.Add(l.interval)
			}
			l.mu.Unlock()
			return held, release, nil
		}
		l.mu.Unlock()
		if err := l.sleep(ctx, wait); err != nil {
			release()
			return 0, nil, err
		}
		held += wait
	}
}

// pause holds every request that has not passed the gate yet, of this
// client and of every client sharing its Pause, until until. It returns
// how much later the pause now ends than it did (0 when it already lasted
// as long) and whether a pause starts: nothing was paused at now.
func (l *limiter) pause(now, until time.Time) (added time.Duration, starts bool) {
	return l.paused.extend(now, until)
}

// pausedUntil returns the end of the current pause, which is in the past
// when the client is not paused.
func (l *limiter) pausedUntil() time.Time { return l.paused.Until() }
