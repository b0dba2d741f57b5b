package api

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
)

// limiter is the one gate every request of a Client passes: a cap on the
// requests in flight and, optionally, on the request rate. A request holds
// its slot from sending to reading the last byte of the answer, and gives
// it back before any wait for a retry.
type limiter struct {
	slots *semaphore.Weighted
	rate  *rate.Limiter // nil when the rate is unlimited
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newLimiter(concurrency int, perSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	l := &limiter{
		slots: semaphore.NewWeighted(int64(concurrency)),
		now:   now,
		sleep: sleep,
	}
	if perSecond > 0 {
		l.rate = rate.NewLimiter(rate.Limit(perSecond), max(1, concurrency))
	}
	return l
}

// acquire waits for a slot and then for the rate limit, both honouring ctx.
// It returns how long the rate limit held the request back, and release,
// which gives the slot back.
func (l *limiter) acquire(ctx context.Context) (throttled time.Duration, release func(), err error) {
	if err := l.slots.Acquire(ctx, 1); err != nil {
		return 0, nil, err
	}
	release = func() { l.slots.Release(1) }
	if l.rate == nil {
		return 0, release, nil
	}
	now := l.now()
	r := l.rate.ReserveN(now, 1)
	if !r.OK() {
		// Unreachable with a burst of at least one; fail closed anyway.
		release()
		return 0, nil, errors.New("rate limit: burst too small")
	}
	d := r.DelayFrom(now)
	if d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			r.CancelAt(l.now())
			release()
			return 0, nil, err
		}
	}
	return d, release, nil
}
