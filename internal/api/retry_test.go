package api

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scripted serves the steps in order, repeating the last; the counter
// says how many requests arrived.
func scripted(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w, r)
	})
	return srv, &n
}

// answer returns a step that answers status and body with header pairs.
func answer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		writeJSON(w, status, body)
	}
}

var okStep = answer(200, `{"id": 7, "slug": "contracts"}`)

// hang answers nothing until the client goes away. It reads the body
// first: only then does the server notice a closed connection.
func hang(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func getType(c *Client) (string, error) {
	raw, err := c.Do(context.Background(), "types.get", "acme", map[string]string{"type": "contracts"}, nil)
	return string(raw), err
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  func(now time.Time) string
		atLeast time.Duration
	}{
		{"429 seconds", 429, func(time.Time) string { return "7" }, 7 * time.Second},
		{"429 date", 429, func(now time.Time) string { return now.Add(90 * time.Second).Format(http.TimeFormat) }, 90 * time.Second},
		{"503 seconds", 503, func(time.Time) string { return "3" }, 3 * time.Second},
		{"503 date in the past", 503, func(now time.Time) string { return now.Add(-time.Hour).Format(http.TimeFormat) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := newFakeClock().Now() // the client's clock until it sleeps
			srv, n := scripted(t, answer(tt.status, `{"statusCode":429,"message":"slow down"}`, "Retry-After", tt.header(start), "Date", start.Format(http.TimeFormat)), okStep)
			c, clock := newTestClient(t, srv.URL, nil)
			if body, err := getType(c); err != nil || body != `{"id": 7, "slug": "contracts"}` {
				t.Fatalf("Do = %q, %v", body, err)
			}
			sleeps := clock.Sleeps()
			if n.Load() != 2 || len(sleeps) != 1 || sleeps[0] < tt.atLeast {
				t.Errorf("%d requests, sleeps %v; want 2 requests and one sleep of at least %s", n.Load(), sleeps, tt.atLeast)
			}
			if tt.atLeast > 0 && sleeps[0] > tt.atLeast+time.Second {
				t.Errorf("slept %s for a Retry-After of %s", sleeps[0], tt.atLeast)
			}
		})
	}
}

// TestRetryAfterDateOnTheServersClock: a Retry-After date is measured
// against the answer's Date (the server's clock), not the local clock: a
// server whose clock is an hour behind ours asking for 90 seconds gets 90
// seconds (not none), and one an hour ahead gets 90 seconds (not a wait
// beyond MaxRetryAfter, which gave up). Without a Date, the local clock.
func TestRetryAfterDateOnTheServersClock(t *testing.T) {
	for _, tt := range []struct {
		name string
		skew time.Duration // the server's clock minus ours
		date bool
		want time.Duration
	}{
		{"server an hour behind", -time.Hour, true, 90 * time.Second},
		{"server an hour ahead", time.Hour, true, 90 * time.Second},
		{"no Date header", 0, false, 90 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			server := newFakeClock().Now().Add(tt.skew)
			header := []string{"Retry-After", server.Add(90 * time.Second).Format(http.TimeFormat)}
			date := "" // an empty Date stands for none (net/http would add its own)
			if tt.date {
				date = server.Format(http.TimeFormat)
			}
			header = append(header, "Date", date)
			srv, n := scripted(t, answer(429, `{"statusCode":429,"message":"slow down"}`, header...), okStep)
			c, clock := newTestClient(t, srv.URL, nil)
			if body, err := getType(c); err != nil || body != `{"id": 7, "slug": "contracts"}` {
				t.Fatalf("Do = %q, %v", body, err)
			}
			sleeps := clock.Sleeps()
			if n.Load() != 2 || len(sleeps) != 1 || sleeps[0] < tt.want || sleeps[0] > tt.want+time.Second {
				t.Errorf("%d requests, sleeps %v; want 2 requests and one sleep of %s", n.Load(), sleeps, tt.want)
			}
		})
	}
}

func TestRetryAfterBeyondCapGivesUp(t *testing.T) {
	srv, n := scripted(t, answer(429, `{"statusCode":429,"error":"Too Many Requests"}`, "Retry-After", "3600"), okStep)
	c, clock := newTestClient(t, srv.URL, func(o *Options) { o.MaxRetryAfter = time.Minute })
	_, err := getType(c)
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 429 || e.RetryAfter != "3600" || !strings.Contains(err.Error(), "more than the 1m0s allowed") {
		t.Fatalf("err = %v, want the 429 *Error with its Retry-After", err)
	}
	if n.Load() != 1 || len(clock.Sleeps()) != 0 {
		t.Errorf("%d requests, sleeps %v; want 1 and none", n.Load(), clock.Sleeps())
	}
}

func TestBackoffWithoutRetryAfter(t *testing.T) {
	fail := []http.HandlerFunc{answer(500, ``), answer(502, ``), answer(504, ``), answer(503, ``), answer(500, ``), okStep}
	for _, worst := range []bool{false, true} {
		srv, n := scripted(t, fail...)
		c, clock := newTestClient(t, srv.URL, func(o *Options) {
			o.BackoffBase, o.BackoffMax = 100*time.Millisecond, time.Second
		})
		if worst {
			c.rand = func(n int64) int64 { return n - 1 }
		}
		if _, err := getType(c); err != nil {
			t.Fatal(err)
		}
		sleeps := clock.Sleeps()
		ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second}
		if n.Load() != 6 || len(sleeps) != len(ceilings) {
			t.Fatalf("%d requests, sleeps %v", n.Load(), sleeps)
		}
		for i, d := range sleeps {
			if d < 0 || d > ceilings[i] || (worst && d != ceilings[i]) {
				t.Errorf("worst=%v: sleep %d = %s, want within [0, %s]", worst, i, d, ceilings[i])
			}
		}
	}
}

func TestRetryTransportFaults(t *testing.T) {
	tests := []struct {
		name string
		step http.HandlerFunc
	}{
		{"reset mid-body", func(w http.ResponseWriter, r *http.Request) { resetMidBody(w) }},
		{"truncated body", func(w http.ResponseWriter, r *http.Request) { truncatedBody(w) }},
		{"hang beyond timeout", hang},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scripted(t, tt.step, okStep)
			c, clock := newTestClient(t, srv.URL, func(o *Options) { o.Timeout = 20 * time.Millisecond })
			if body, err := getType(c); err != nil || body != `{"id": 7, "slug": "contracts"}` {
				t.Fatalf("Do = %q, %v", body, err)
			}
			st := c.Stats()
			if n.Load() != 2 || len(clock.Sleeps()) != 1 || st.Retries != 1 || !reflect.DeepEqual(st.ByStatus, map[int]int{0: 1, 200: 1}) {
				t.Errorf("%d requests, sleeps %v, stats %+v", n.Load(), clock.Sleeps(), st)
			}
		})
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		srv, n := scripted(t, answer(status, BodyForbidden), okStep)
		c, clock := newTestClient(t, srv.URL, nil)
		_, err := getType(c)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != status || e.Method != "GET" || e.Path != "/ws/types/contracts" {
			t.Errorf("%d: err = %#v", status, err)
		}
		if n.Load() != 1 || len(clock.Sleeps()) != 0 {
			t.Errorf("%d: %d requests, sleeps %v; want no retry", status, n.Load(), clock.Sleeps())
		}
	}
}

func TestNoRetryOnTLSError(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	c, clock := newTestClient(t, srv.URL, nil) // its transport does not trust the test certificate
	_, err := getType(c)
	if err == nil || !isTLSError(err) {
		t.Fatalf("err = %v, want a certificate error", err)
	}
	if st := c.Stats(); st.Requests != 1 || len(clock.Sleeps()) != 0 || n.Load() != 0 {
		t.Errorf("stats %+v, sleeps %v, handler reached %d times; want one attempt", st, clock.Sleeps(), n.Load())
	}
}

func TestAttemptsExhausted(t *testing.T) {
	srv, n := scripted(t, answer(429, ``), answer(502, `{"statusCode":502,"error":"Bad Gateway","message":"upstream"}`))
	c, clock := newTestClient(t, srv.URL, func(o *Options) { o.MaxAttempts = 3 })
	_, err := getType(c)
	if StatusOf(err) != 502 || !strings.Contains(err.Error(), "giving up after 3 attempts: GET /ws/types/contracts: 502 Bad Gateway: upstream") {
		t.Errorf("err = %v, want the last answer", err)
	}
	if n.Load() != 3 || len(clock.Sleeps()) != 2 {
		t.Errorf("%d requests, sleeps %v", n.Load(), clock.Sleeps())
	}

	srv, _ = scripted(t, func(w http.ResponseWriter, r *http.Request) { resetMidBody(w) })
	c, _ = newTestClient(t, srv.URL, func(o *Options) { o.MaxAttempts = 2 })
	if _, err = getType(c); err == nil || StatusOf(err) != 0 || !strings.Contains(err.Error(), "giving up after 2 attempts") {
		t.Errorf("resets: err = %v", err)
	}
}

func TestInvalidJSONIsRetriedAFewTimes(t *testing.T) {
	html := answer(200, `<html>maintenance</html>`)
	srv, n := scripted(t, html, okStep)
	c, _ := newTestClient(t, srv.URL, nil)
	if _, err := getType(c); err != nil || n.Load() != 2 {
		t.Errorf("one HTML answer: %v after %d requests", err, n.Load())
	}
	srv, n = scripted(t, html)
	c, _ = newTestClient(t, srv.URL, nil)
	if _, err := getType(c); !errors.Is(err, ErrInvalidBody) || n.Load() != maxInvalidBodies {
		t.Errorf("HTML always: %v after %d requests, want ErrInvalidBody after %d", err, n.Load(), maxInvalidBodies)
	}
}

func TestTooLarge(t *testing.T) {
	big := `{"id": 1, "pad": "` + strings.Repeat("x", 100) + `"}`
	chunked := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for _, part := range []string{big[:50], big[50:]} {
			io.WriteString(w, part)
			http.NewResponseController(w).Flush()
		}
	}
	for name, step := range map[string]http.HandlerFunc{"content-length": answer(200, big), "chunked": chunked} {
		srv, n := scripted(t, step)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.MaxResponseBytes = 64 })
		if _, err := getType(c); !errors.Is(err, ErrTooLarge) || n.Load() != 1 {
			t.Errorf("%s: %v after %d requests, want ErrTooLarge at once", name, err, n.Load())
		}
	}
	srv, _ := scripted(t, answer(200, big))
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.MaxResponseBytes = int64(len(big)) })
	if _, err := getType(c); err != nil {
		t.Errorf("a body of exactly the limit: %v", err)
	}
}

func TestCreateIsRepeatedOnlyWhenUnprocessed(t *testing.T) {
	tests := []struct {
		name  string
		first http.HandlerFunc
		ok    bool
	}{
		{"429", answer(429, ``, "Retry-After", "1"), true},
		{"429 without Retry-After", answer(429, ``), true},
		{"503 with Retry-After", answer(503, ``, "Retry-After", "1"), true},
		// A gateway's 503 after the server created the object: a lost
		// answer, for the caller to look up.
		{"503", answer(503, ``), false},
		{"503 with a Retry-After that is no delay", answer(503, ``, "Retry-After", "soon"), false},
		{"529", answer(529, ``), false},
		{"408", answer(408, ``), false},
		{"500", answer(500, ``), false},
		{"504", answer(504, ``), false},
		{"timeout", hang, false},
		{"reset", func(w http.ResponseWriter, r *http.Request) { resetMidBody(w) }, false},
	}
	for _, tt := range tests {
		srv, n := scripted(t, tt.first, okStep)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Timeout = 20 * time.Millisecond })
		_, err := c.Do(context.Background(), "types.create", "acme", nil, map[string]string{"slug": "contracts"})
		if (err == nil) != tt.ok || (tt.ok && n.Load() != 2) || (!tt.ok && n.Load() != 1) {
			t.Errorf("%s: %v after %d requests; want repeated: %v", tt.name, err, n.Load(), tt.ok)
		}
	}
}

// TestStatusesRetried sends a GET answered each status once, then 200: the
// transient statuses (408, 429, every 5xx but 501 and 505) are retried,
// the others fail at once.
func TestStatusesRetried(t *testing.T) {
	retried := map[int]bool{408: true, 429: true}
	for code := 500; code <= 599; code++ {
		retried[code] = code != 501 && code != 505
	}
	for _, code := range []int{400, 401, 403, 404, 405, 408, 409, 410, 422, 425, 429,
		500, 501, 502, 503, 504, 505, 507, 508, 511, 520, 521, 522, 523, 524, 525, 526, 527, 529, 530, 598, 599} {
		page := `<html><title>` + strconv.Itoa(code) + ` | cloudflare</title></html>`
		srv, n := scripted(t, answer(code, page), okStep)
		c, _ := newTestClient(t, srv.URL, nil)
		_, err := getType(c)
		if retried[code] {
			if err != nil || n.Load() != 2 {
				t.Errorf("%d: %v after %d requests, want retried and then 200", code, err, n.Load())
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != code || n.Load() != 1 {
			t.Errorf("%d: %v after %d requests, want the *Error at once", code, err, n.Load())
		}
	}
}

// TestRetryAfterOnOtherStatuses: a transient status other than 429 and 503
// that carries Retry-After is retried no sooner than it asks.
func TestRetryAfterOnOtherStatuses(t *testing.T) {
	for _, code := range []int{408, 529, 520} {
		srv, n := scripted(t, answer(code, ``, "Retry-After", "7"), okStep)
		c, clock := newTestClient(t, srv.URL, nil)
		if _, err := getType(c); err != nil || n.Load() != 2 {
			t.Fatalf("%d: %v after %d requests", code, err, n.Load())
		}
		if s := clock.Sleeps(); len(s) != 1 || s[0] < 7*time.Second {
			t.Errorf("%d with Retry-After: 7: waited %v, want at least 7s", code, s)
		}
	}
}

func TestContextEndsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, n := scripted(t, answer(503, ``))
	c, clock := newTestClient(t, srv.URL, nil)
	clock.onSleep = func(time.Duration) { cancel() }
	_, err := c.Do(ctx, "types.list", "acme", nil, nil)
	if !errors.Is(err, context.Canceled) || n.Load() != 1 {
		t.Errorf("cancel while waiting: %v after %d requests", err, n.Load())
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	srv, n = scripted(t, func(w http.ResponseWriter, r *http.Request) { cancel2(); hang(w, r) })
	c, clock = newTestClient(t, srv.URL, nil)
	_, err = c.Do(ctx2, "types.list", "acme", nil, nil)
	if !errors.Is(err, context.Canceled) || n.Load() != 1 || len(clock.Sleeps()) != 0 {
		t.Errorf("cancel during a request: %v after %d requests", err, n.Load())
	}
}

func TestStatsCountByStatus(t *testing.T) {
	srv, _ := scripted(t, answer(429, ``), answer(500, ``),
		func(w http.ResponseWriter, r *http.Request) { resetMidBody(w) }, okStep)
	c, clock := newTestClient(t, srv.URL, nil)
	if _, err := getType(c); err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	for _, d := range clock.Sleeps() {
		waited += d
	}
	want := RequestStats{Requests: 4, ByStatus: map[int]int{429: 1, 500: 1, 0: 1, 200: 1}, Retries: 3, Waits: 3, WaitTime: waited}
	if got := c.Stats(); !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}
