package fakeapi

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stepClock is a clock tests move by hand.
type stepClock struct{ ms atomic.Int64 }

func (c *stepClock) now() time.Time {
	return testNow.Add(time.Duration(c.ms.Load()) * time.Millisecond)
}

// retryAfterEnd reads a Retry-After answered to a request sent at sent:
// the moment the wait ends.
func retryAfterEnd(t *testing.T, v string, sent time.Time) time.Time {
	t.Helper()
	if secs, err := strconv.Atoi(v); err == nil {
		return sent.Add(time.Duration(secs) * time.Second)
	}
	at, err := http.ParseTime(v)
	if err != nil {
		t.Fatalf("Retry-After %q: %v", v, err)
	}
	return at
}

func TestEarlyRetries(t *testing.T) {
	other := testKey("other")
	all := []string{"read", "write", "delete"}
	for _, tt := range []struct {
		name string
		f    Faults
	}{
		{"seconds", Faults{Rate429: 1, RetryAfterShare: 1, RetryAfter: 1500 * time.Millisecond}},
		{"HTTP date", Faults{Rate429: 1, RetryAfterShare: 1, RetryAfter: 1500 * time.Millisecond, RetryAfterDate: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &stepClock{}
			s := newServer(t, Options{Faults: tt.f, Now: clock.now,
				APIKeys: []Key{{Secret: DemoAPIKey, Scopes: all}, {Secret: other, Scopes: all}}})
			const lineA, lineB = "/ws/types?limit=5&page=1", "/ws/types?limit=5&page=2"
			// end is when the wait of the last answer to lineA with the
			// demo key ends, in ms after testNow.
			var end int64
			send := func(path, key string, at int64) answer {
				t.Helper()
				clock.ms.Store(at)
				a := do(t, s, req{method: "GET", path: path, ws: "acme", key: key})
				if v := a.header.Get("Retry-After"); v != "" && path == lineA && key == "" {
					end = retryAfterEnd(t, v, clock.now()).Sub(testNow).Milliseconds()
				}
				return a
			}
			steps := []struct {
				name      string
				path, key string
				at        func() int64
				want      int64
			}{
				{"first request", lineA, "", func() int64 { return 0 }, 0},
				{"another line", lineB, "", func() int64 { return 1 }, 0},
				{"another key", lineA, other, func() int64 { return 2 }, 0},
				{"1ms before the wait ends", lineA, "", func() int64 { return end - 1 }, 1},
				{"when the wait ends", lineA, "", func() int64 { return end }, 1},
				{"long after", lineA, "", func() int64 { return end + 60_000 }, 1},
			}
			for _, st := range steps {
				if a := send(st.path, st.key, st.at()); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
					t.Fatalf("%s: %d with Retry-After %q, want 429 with one", st.name, a.status, a.header.Get("Retry-After"))
				}
				if got := s.Requests().EarlyRetries; got != st.want {
					t.Fatalf("%s: %d early retries, want %d", st.name, got, st.want)
				}
			}
			// Without faults, answers ask for no wait; the one still
			// running counts once more, then the line is free.
			s.SetFaults(Faults{})
			for i, st := range []struct {
				at   int64
				want int64
			}{{end - 1, 2}, {end, 2}, {end, 2}} {
				if a := send(lineA, "", st.at); a.status != http.StatusOK {
					t.Fatalf("fault-free request %d: status %d", i, a.status)
				}
				if got := s.Requests().EarlyRetries; got != st.want {
					t.Fatalf("fault-free request %d: %d early retries, want %d", i, got, st.want)
				}
			}
		})
	}
}

func TestEarlyRetriesConcurrently(t *testing.T) {
	// Every request of every line is answered 429 with Retry-After at a
	// clock that never moves: all but the first of each line are early.
	const lines, repeats = 8, 25
	s := newServer(t, Options{Faults: Faults{Rate429: 1, RetryAfterShare: 1}})
	var wg sync.WaitGroup
	for i := 0; i < lines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < repeats; n++ {
				do(t, s, req{method: "GET", path: "/ws/members?page=" + strconv.Itoa(i+1), ws: "acme"})
			}
		}()
	}
	wg.Wait()
	if got, want := s.Requests().EarlyRetries, int64(lines*(repeats-1)); got != want {
		t.Errorf("%d early retries, want %d", got, want)
	}
}

func TestFaultAnswerWaits(t *testing.T) {
	f := &Faults{RetryAfter: 2 * time.Second}
	now := testNow.UnixNano()
	for _, tt := range []struct {
		name      string
		d         decision
		wantWait  bool
		wantUntil int64
	}{
		{"429 with Retry-After", decision{kind: FaultRateLimit, retryAfter: true}, true, now + 2e9},
		{"429 without", decision{kind: FaultRateLimit}, false, 0},
		{"503 with Retry-After", decision{kind: FaultServerError, status: 503, retryAfter: true}, true, now + 2e9},
		{"500", decision{kind: FaultServerError, status: 500, retryAfter: true}, false, 0},
		{"502", decision{kind: FaultServerError, status: 502, retryAfter: true}, false, 0},
		{"HTML", decision{kind: FaultHTML, retryAfter: true}, false, 0},
	} {
		res, until, wait := faultAnswer(f, tt.d, testNow)
		if wait != tt.wantWait || until != tt.wantUntil {
			t.Errorf("%s: wait %v until %d, want %v until %d", tt.name, wait, until, tt.wantWait, tt.wantUntil)
		}
		if got := res.header["Retry-After"] != ""; got != tt.wantWait {
			t.Errorf("%s: Retry-After header %q", tt.name, res.header["Retry-After"])
		}
	}
}
