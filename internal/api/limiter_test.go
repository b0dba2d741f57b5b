package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrencyIsCapped(t *testing.T) {
	const limit = 3
	var inflight, most atomic.Int32
	reached := make(chan struct{})
	var once sync.Once
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n >= limit {
			once.Do(func() { close(reached) })
		}
		select { // hold the slot until the cap is reached, so it is reached
		case <-reached:
		case <-time.After(2 * time.Second):
		}
		if strings.HasSuffix(r.URL.Path, "/count") {
			writeJSON(w, 200, `{"count": 95}`)
			return
		}
		list, _ := pageOf(objects(1, 95), r)
		writeJSON(w, 200, list)
	})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Concurrency = limit; o.PageSize = 10 })

	// Two listings and a crowd of single requests share the one limiter.
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for range 2 {
		wg.Go(func() {
			_, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, func([]Object) error { return nil })
			errs <- err
		})
	}
	for range 20 {
		wg.Go(func() {
			_, err := c.Do(context.Background(), "types.list", "acme", nil, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := most.Load(); got != limit {
		t.Errorf("at most %d requests in flight, want exactly %d", got, limit)
	}
}

func TestWaitGivesTheSlotBack(t *testing.T) {
	var first atomic.Bool
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws/types" && first.CompareAndSwap(false, true) {
			writeJSON(w, 429, `{}`)
			return
		}
		writeJSON(w, 200, `[]`)
	})
	c, clock := newTestClient(t, srv.URL, func(o *Options) { o.Concurrency = 1 })
	var ran bool
	var during error
	clock.onSleep = func(time.Duration) {
		if ran {
			return
		}
		ran = true
		// The only slot must be free while the first request waits.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, during = c.Do(ctx, "types.get", "acme", map[string]string{"type": "x"}, nil)
	}
	if _, err := c.Do(context.Background(), "types.list", "acme", nil, nil); err != nil {
		t.Fatal(err)
	}
	if !ran || during != nil {
		t.Errorf("a request while another waits to retry: ran %v, %v", ran, during)
	}
}

func TestRateLimit(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[]`) })
	c, clock := newTestClient(t, srv.URL, func(o *Options) { o.RequestsPerSecond = 5; o.Concurrency = 2 })
	for range 6 {
		if _, err := c.Do(context.Background(), "types.list", "acme", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// No burst, whatever the concurrency: one at once, then one every 200ms.
	want := slices.Repeat([]time.Duration{200 * time.Millisecond}, 5)
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("rate waits = %v, want %v", got, want)
	}
	if st := c.Stats(); st.Throttled != 5 || st.ThrottleTime != time.Second || st.Waits != 0 {
		t.Errorf("stats %+v, want 5 throttled for 1s and no retry waits", st)
	}
}

// TestRateIsASpacing: a request that comes after a quiet spell goes at
// once, and the next one still waits a whole interval after it; 3/s waits
// 333,333,334ns, so that four requests never fit in one second.
func TestRateIsASpacing(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(4, 3, nil, clock.Now, clock.Sleep)
	pass := func() time.Duration {
		t.Helper()
		held, release, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		release()
		return held
	}
	const gap = 333_333_334 * time.Nanosecond
	if got := []time.Duration{pass(), pass(), pass(), pass()}; !slices.Equal(got, []time.Duration{0, gap, gap, gap}) {
		t.Errorf("held %v, want no wait then %s each", got, gap)
	}
	clock.Sleep(context.Background(), 5*time.Second)
	if got := []time.Duration{pass(), pass()}; !slices.Equal(got, []time.Duration{0, gap}) {
		t.Errorf("after a quiet spell: held %v, want 0 then %s", got, gap)
	}
}

// TestRetryAfterPausesEveryNewRequest: a 429 with Retry-After pauses the
// client (TestRetryAfterPausesTheClient shows every new request held); the
// pause is counted, logged and reported once, a later one extends it
// rather than starting another, and the gate holds a request until the
// pause ends.
func TestRetryAfterPausesEveryNewRequest(t *testing.T) {
	var calls atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws/types" && calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "3")
			writeJSON(w, 429, `{}`)
			return
		}
		writeJSON(w, 200, `[]`)
	})
	var logs strings.Builder
	var heard []time.Time
	c, clock := newTestClient(t, srv.URL, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.OnPause = func(until time.Time) { heard = append(heard, until) }
	})
	start := clock.Now()
	if _, err := c.Do(context.Background(), "types.list", "acme", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := c.PausedUntil(); !got.Equal(start.Add(3 * time.Second)) {
		t.Errorf("paused until %s, want start+3s", got)
	}
	if st := c.Stats(); st.Pauses != 1 || st.PausedFor != 3*time.Second {
		t.Errorf("stats: %d pauses for %s, want 1 for 3s", st.Pauses, st.PausedFor)
	}
	if n := strings.Count(logs.String(), "api paused by the server's retry-after"); n != 1 {
		t.Errorf("%d pause lines logged, want 1:\n%s", n, logs.String())
	}
	if len(heard) != 1 || !heard[0].Equal(start.Add(3*time.Second)) {
		t.Errorf("OnPause heard %v", heard)
	}

	// Directly: a pause holds the gate; a longer one extends it.
	l := newLimiter(2, 0, nil, clock.Now, clock.Sleep)
	now := clock.Now()
	if added, starts := l.pause(now, now.Add(time.Second)); added != time.Second || !starts {
		t.Errorf("first pause: %s, %v", added, starts)
	}
	if added, starts := l.pause(now, now.Add(500*time.Millisecond)); added != 0 || starts {
		t.Errorf("a shorter pause: %s, %v, want no change", added, starts)
	}
	if added, starts := l.pause(now, now.Add(2*time.Second)); added != time.Second || starts {
		t.Errorf("a longer pause: %s, %v, want 1s more, no new pause", added, starts)
	}
	held, release, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
	if held != 2*time.Second {
		t.Errorf("held %s by a pause of 2s", held)
	}
}

func TestWaitingForASlotHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		writeJSON(w, 200, `[]`)
	})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Concurrency = 1 })
	done := make(chan error)
	go func() {
		_, err := c.Do(context.Background(), "types.list", "acme", nil, nil)
		done <- err
	}()
	for c.lim.slots.TryAcquire(1) { // wait until the first request holds the slot
		c.lim.slots.Release(1)
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, "types.list", "acme", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("second request: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first request: %v", err)
	}
}
