package api_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// inMemory is a transport that hands each request to a handler in the
// same process, so that a test in a synctest bubble runs the client and
// the fake server on the bubble's clock: the server's timeline then says
// exactly when each request started, and a Retry-After of a second takes
// no real time.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, in)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// timedList lists the 600 items of acme's contracts (120 pages of 5, with
// a count, so fetched in parallel) through a fake server that records its
// timeline, on the bubble's clock; edit adjusts the client's options.
func timedList(t *testing.T, f fakeapi.Faults, edit func(*api.Options)) (fakeapi.Timeline, api.RequestStats) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Seed: 1, Items: 600, Faults: f, RecordTimeline: true})
	if err != nil {
		t.Fatal(err)
	}
	o := api.Options{BaseURL: "http://fake.invalid", APIKey: api.Secret(fakeapi.DemoAPIKey),
		Concurrency: 8, PageSize: 5, HTTPClient: &http.Client{Transport: inMemory{srv}}}
	if edit != nil {
		edit(&o)
	}
	c, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	contracts := api.Object{Kind: "types", ID: "2", Key: "contracts"}
	seen := 0
	if _, err := c.List(context.Background(), kindOf(t, "items"), "acme", contracts, func(objs []api.Object) error {
		seen += len(objs)
		return nil
	}); err != nil {
		t.Fatalf("list items: %v", err)
	}
	if seen != 600 {
		t.Fatalf("listed %d items, want 600", seen)
	}
	return srv.Timeline(), c.Stats()
}

// TestRetryAfterPausesTheClient: under 10% 429s, each with Retry-After: 1,
// and eight requests in flight, no request starts inside a Retry-After
// window the server sent (only those already in flight when it was sent
// may arrive then), and every retry waits its second.
func TestRetryAfterPausesTheClient(t *testing.T) {
	for _, tt := range []struct {
		name string
		date bool
	}{{"seconds", false}, {"HTTP date", true}} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				tl, st := timedList(t, fakeapi.Faults{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond,
					Rate429: 0.1, RetryAfterShare: 1, RetryAfter: time.Second, RetryAfterDate: tt.date}, nil)
				took := time.Since(start)
				v := tl.Violations()
				t.Logf("%d requests, %d Retry-After windows, %d pauses (%s paused), %d started inside a window; %s on the bubble's clock",
					len(tl.Starts), len(tl.Windows), st.Pauses, st.PausedFor, len(v), took)
				if len(tl.Windows) == 0 {
					t.Fatal("no Retry-After sent: the test proves nothing")
				}
				for i, x := range v {
					if i < 5 {
						t.Errorf("request to %s started %s after a %d was sent (window until %s later)",
							x.Start.Route, x.Start.At.Sub(x.Window.Sent), x.Window.Status, x.Window.Until.Sub(x.Window.Sent))
					}
				}
				if st.Pauses == 0 || st.Pauses > len(tl.Windows) || st.PausedFor < time.Duration(st.Pauses)*time.Second/2 {
					t.Errorf("client stats: %d pauses for %s, for %d windows sent", st.Pauses, st.PausedFor, len(tl.Windows))
				}
			})
		})
	}
}

// TestRateHoldsInEveryWindow: with requests_per_second R, no span of one
// second holds more than ceil(R) request starts, from the first request
// on (no burst), whatever the concurrency.
func TestRateHoldsInEveryWindow(t *testing.T) {
	for _, rps := range []float64{20, 7.5, 3} {
		t.Run(fmt.Sprint(rps), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tl, _ := timedList(t, fakeapi.Faults{Latency: 5 * time.Millisecond}, func(o *api.Options) { o.RequestsPerSecond = rps })
				most, from := tl.MaxInWindow(time.Second)
				limit := int(math.Ceil(rps))
				t.Logf("%g/s: %d requests over %s, at most %d in one second (from %s after the first)",
					rps, len(tl.Starts), tl.Starts[len(tl.Starts)-1].At.Sub(tl.Starts[0].At), most, from.Sub(tl.Starts[0].At))
				if most > limit {
					t.Errorf("%g/s: %d requests started within one second, want at most %d", rps, most, limit)
				}
			})
		})
	}
}
