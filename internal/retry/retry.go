package retry

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy says how often and how long to wait between attempts. The zero
// value makes one attempt.
type Policy struct {
	// Attempts is the most attempts Do makes; values below 1 mean 1.
	Attempts int
	// Base is the ceiling of the wait before the first retry; it doubles
	// for each further retry up to Max (Max below Base means Base).
	Base, Max time.Duration
	// Rand returns a uniform number in [0, n) for n > 0. With it each wait
	// is random in [0, ceiling] (full jitter); nil waits the ceiling.
	Rand func(n int64) int64
	// MaxRetryAfter is the longest Retry-After Do waits for: a longer one
	// ends the loop at once with an error saying so. Zero means no limit.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, if set, hears of each wait before it starts, for logs and
	// counters: the attempt that failed (from 1), the wait and its outcome.
	OnWait func(attempt int, wait time.Duration, o Outcome)
}

// Outcome is what one attempt tells Do.
type Outcome struct {
	// Err is the attempt's error; nil means success and ends the loop.
	Err error
	// Retry says another attempt may succeed.
	Retry bool
	// RetryAfter is the server's Retry-After when HasRetryAfter is set:
	// the wait is at least that long.
	RetryAfter    time.Duration
	HasRetryAfter bool
}

// Do calls try, with the attempt number from 1, until it succeeds, returns
// an outcome that is not to be retried (its Err is returned as it is), the
// attempts are spent ("giving up after N attempts: ERR"), the server asks
// to wait longer than MaxRetryAfter, or ctx ends during a wait.
func (p Policy) Do(ctx context.Context, try func(attempt int) Outcome) error {
	attempts := max(p.Attempts, 1)
	sleep := p.Sleep
	if sleep == nil {
		sleep = timerSleep
	}
	for attempt := 1; ; attempt++ {
		o := try(attempt)
		switch {
		case o.Err == nil:
			return nil
		case !o.Retry:
			return o.Err
		case attempt >= attempts:
			return fmt.Errorf("giving up after %d attempts: %w", attempt, o.Err)
		case o.HasRetryAfter && p.MaxRetryAfter > 0 && o.RetryAfter > p.MaxRetryAfter:
			return fmt.Errorf("server asks to wait %s, more than the %s allowed: %w", o.RetryAfter, p.MaxRetryAfter, o.Err)
		}
		wait := p.Backoff(attempt - 1)
		if o.HasRetryAfter {
			wait = max(wait, o.RetryAfter)
		}
		if p.OnWait != nil {
			p.OnWait(attempt, wait, o)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w while waiting to retry (last error: %v)", err, o.Err)
		}
	}
}

// Backoff returns the wait before retry number retry (0 for the first
// retry): min(Max, Base*2^retry), or with Rand a random duration between 0
// and that, inclusive.
func (p Policy) Backoff(retry int) time.Duration {
	limit := max(p.Max, p.Base)
	ceiling := limit
	if retry >= 0 && retry < 63 && p.Base <= limit>>uint(retry) {
		ceiling = p.Base << uint(retry)
	}
	if ceiling <= 0 {
		return 0
	}
	if p.Rand == nil {
		return ceiling
	}
	return time.Duration(p.Rand(int64(ceiling) + 1))
}

// ParseRetryAfter reads a Retry-After header: seconds (a non-negative
// number) or an HTTP date, relative to now. A date in the past means no
// wait. ok is false when the header is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) {
			return 0, false
		}
		// A year is far beyond any sane cap and keeps the product in range.
		secs = math.Min(secs, 365*24*3600)
		return time.Duration(math.Ceil(secs * float64(time.Second))), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, t.Sub(now)), true
}

func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
