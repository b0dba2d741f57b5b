package api

import (
	"context"
	"errors"
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
	// A burst of two (the concurrency), then one every 200ms.
	want := []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("rate waits = %v, want %v", got, want)
	}
	if st := c.Stats(); st.Throttled != 4 || st.ThrottleTime != 800*time.Millisecond || st.Waits != 0 {
		t.Errorf("stats %+v, want 4 throttled for 800ms and no retry waits", st)
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
