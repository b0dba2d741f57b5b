package fakeapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// noSleep records injected delays instead of sleeping.
type noSleep struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (n *noSleep) sleep(_ context.Context, d time.Duration) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delays = append(n.delays, d)
	return nil
}

// outcome summarises an answer for comparisons.
func outcome(a answer) string {
	return fmt.Sprintf("%d %s %d %s", a.status, a.header.Get("Retry-After"), len(a.body), a.header.Get("Content-Type"))
}

var mixedFaults = Faults{Rate429: 0.1, Rate5xx: 0.1, RateHTML: 0.05, RateTruncate: 0.05, RateReset: 0.05,
	RetryAfterShare: 0.5, Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond}

func TestFaultDecisionsAreReproducible(t *testing.T) {
	const lines, repeats = 20, 10
	path := func(i int) string { return fmt.Sprintf("/ws/types/clients/items?limit=5&page=%d", i+1) }
	sequential := newServer(t, Options{Seed: 3, Faults: mixedFaults, Sleep: (&noSleep{}).sleep})
	want := map[string]string{}
	for i := 0; i < lines; i++ {
		for n := 0; n < repeats; n++ {
			want[fmt.Sprint(i, n)] = outcome(do(t, sequential, req{method: "GET", path: path(i), ws: "acme"}))
		}
	}
	concurrent := newServer(t, Options{Seed: 3, Faults: mixedFaults, Sleep: (&noSleep{}).sleep})
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for i := lines - 1; i >= 0; i-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < repeats; n++ {
				o := outcome(do(t, concurrent, req{method: "GET", path: path(i), ws: "acme"}))
				mu.Lock()
				got[fmt.Sprint(i, n)] = o
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	faulted := 0
	for k, w := range want {
		if got[k] != w {
			t.Errorf("request %s: %q concurrently, %q in sequence", k, got[k], w)
		}
		if !strings.HasPrefix(w, "200") || strings.Contains(w, "html") {
			faulted++
		}
	}
	if faulted == 0 || faulted == len(want) {
		t.Errorf("%d of %d requests faulted", faulted, len(want))
	}
	other := newServer(t, Options{Seed: 4, Faults: mixedFaults, Sleep: (&noSleep{}).sleep})
	same := 0
	for i := 0; i < lines; i++ {
		if outcome(do(t, other, req{method: "GET", path: path(i), ws: "acme"})) == want[fmt.Sprint(i, 0)] {
			same++
		}
	}
	if same == lines {
		t.Error("another seed made the same decisions")
	}
}

// near reports whether got is within 4 standard deviations of n*p.
func near(got int64, n int, p float64) bool {
	sd := math.Sqrt(float64(n) * p * (1 - p))
	return math.Abs(float64(got)-float64(n)*p) <= 4*sd+1
}

func TestFaultRates(t *testing.T) {
	const n = 1000
	f := mixedFaults
	f.RateDrift = 0.1
	f.RetryAfterShare = 0.3
	sleeper := &noSleep{}
	s := newServer(t, Options{Seed: 11, Faults: f, Sleep: sleeper.sleep})
	withRetryAfter, limited := 0, 0
	for i := 0; i < n; i++ {
		a := do(t, s, req{method: "GET", path: fmt.Sprintf("/ws/types/invoices/items?limit=10&page=%d", i%12+1), ws: "acme"})
		if a.status == 429 || a.status == 503 {
			limited++
			if a.header.Get("Retry-After") == "1" {
				withRetryAfter++
			}
		}
	}
	c := s.Requests()
	tests := []struct {
		kind string
		rate float64
	}{
		{FaultRateLimit, f.Rate429}, {FaultServerError, f.Rate5xx}, {FaultHTML, f.RateHTML},
		{FaultReset, f.RateReset}, {FaultTruncate, f.RateTruncate}, {FaultDrift, f.RateDrift},
	}
	for _, tt := range tests {
		if got := c.Faults[tt.kind]; !near(got, n, tt.rate) {
			t.Errorf("%s: %d of %d, want about %.0f", tt.kind, got, n, tt.rate*n)
		}
	}
	if c.ByStatus[429] != c.Faults[FaultRateLimit] || c.ByStatus[500]+c.ByStatus[502]+c.ByStatus[503] != c.Faults[FaultServerError] {
		t.Errorf("statuses %v vs faults %v", c.ByStatus, c.Faults)
	}
	if c.Total != n || c.ByRoute["items.list"] != n {
		t.Errorf("counted %d requests, %d item lists", c.Total, c.ByRoute["items.list"])
	}
	if !near(int64(withRetryAfter), limited, f.RetryAfterShare) {
		t.Errorf("Retry-After on %d of %d 429/503", withRetryAfter, limited)
	}
	for _, d := range sleeper.delays {
		if d < f.Latency || d > f.Latency+f.Jitter {
			t.Fatalf("delay %v outside latency %v + jitter %v", d, f.Latency, f.Jitter)
		}
	}
	if len(sleeper.delays) != n {
		t.Errorf("%d delays for %d requests", len(sleeper.delays), n)
	}
}

func TestRetryAfterValues(t *testing.T) {
	tests := []struct {
		name   string
		f      Faults
		check  func(string) bool
		status int
	}{
		{"default 1s", Faults{Rate429: 1, RetryAfterShare: 1}, func(v string) bool { return v == "1" }, 429},
		{"rounded up", Faults{Rate429: 1, RetryAfterShare: 1, RetryAfter: 1500 * time.Millisecond}, func(v string) bool { return v == "2" }, 429},
		{"never", Faults{Rate429: 1}, func(v string) bool { return v == "" }, 429},
		{"HTTP date", Faults{Rate429: 1, RetryAfterShare: 1, RetryAfter: 1500 * time.Millisecond, RetryAfterDate: true}, func(v string) bool {
			at, err := http.ParseTime(v)
			return err == nil && !at.Before(testNow.Add(1500*time.Millisecond)) && at.Before(testNow.Add(3*time.Second))
		}, 429},
	}
	for _, tt := range tests {
		s := newServer(t, Options{Faults: tt.f})
		a := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme"})
		if a.status != tt.status || !tt.check(a.header.Get("Retry-After")) {
			t.Errorf("%s: %d Retry-After %q", tt.name, a.status, a.header.Get("Retry-After"))
		}
		if tt.status == 429 && string(a.body) != `{"statusCode":429,"error":"Too Many Requests","message":"ThrottlerException: Too Many Requests"}` {
			t.Errorf("429 body %s", a.body)
		}
	}
}

func TestServerErrorKinds(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{Rate5xx: 1, RetryAfterShare: 1}})
	seen := map[int]bool{}
	for i := 0; i < 60; i++ {
		a := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme"})
		seen[a.status] = true
		switch a.status {
		case 500:
			if a.header.Get("Retry-After") != "" || string(a.body) != `{"statusCode":500,"message":"Internal server error"}` {
				t.Errorf("500: %q %s", a.header.Get("Retry-After"), a.body)
			}
		case 502:
			if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
				t.Errorf("502 content type %q", a.header.Get("Content-Type"))
			}
		case 503:
			if a.header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After at share 1")
			}
		default:
			t.Errorf("status %d", a.status)
		}
	}
	if len(seen) != 3 {
		t.Errorf("statuses %v, want 500, 502 and 503", seen)
	}
}

func TestHTMLFault(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{RateHTML: 1}})
	a := do(t, s, req{method: "GET", path: "/ws/types", ws: "acme"})
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.HasPrefix(string(a.body), "<!DOCTYPE html>") {
		t.Errorf("HTML fault: %d %q %.40s", a.status, a.header.Get("Content-Type"), a.body)
	}
}

func TestFaultsOnlyAfterAuthentication(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{Rate429: 1, FailRoutes: map[string]int{"types.list": 500}}})
	for _, r := range []req{
		{method: "GET", path: "/ws/types", ws: "acme", key: "-"},
		{method: "GET", path: "/ws/types"},
		{method: "GET", path: "/nowhere"},
	} {
		if a := do(t, s, r); a.status == 429 || a.status == 500 {
			t.Errorf("%+v: fault %d before authentication", r, a.status)
		}
	}
	if got := s.Requests().Faults; len(got) != 0 {
		t.Errorf("faults counted: %v", got)
	}
}

// TestUnauthenticatedRequestsDoNotShiftDecisions checks that the n-th
// authenticated arrival of a line gets the same faults whatever
// unauthenticated requests of that line came in between.
func TestUnauthenticatedRequestsDoNotShiftDecisions(t *testing.T) {
	f := Faults{Rate429: 0.3, Rate5xx: 0.3}
	quiet, noisy := newServer(t, Options{Faults: f}), newServer(t, Options{Faults: f})
	for i := 0; i < 40; i++ {
		if i%3 == 0 {
			do(t, noisy, req{method: "GET", path: "/ws/types", ws: "acme", key: "-"})
		}
		a := do(t, quiet, req{method: "GET", path: "/ws/types", ws: "acme"})
		b := do(t, noisy, req{method: "GET", path: "/ws/types", ws: "acme"})
		if outcome(a) != outcome(b) {
			t.Fatalf("request %d: %s without noise, %s with", i, outcome(a), outcome(b))
		}
	}
}

func TestFailRoutes(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{FailRoutes: map[string]int{"quick-tasks.list": 500, "roles.list": 503}}})
	for i := 0; i < 5; i++ {
		if a := do(t, s, req{method: "GET", path: "/ws/quick-tasks", ws: "acme"}); a.status != 500 {
			t.Errorf("quick-tasks.list: %d", a.status)
		}
		if a := do(t, s, req{method: "GET", path: "/ws/roles?page=" + itoa(int64(i)), ws: "acme"}); a.status != 503 {
			t.Errorf("roles.list: %d", a.status)
		}
	}
	get(t, s, "acme", "/ws/quick-tasks/count")
	get(t, s, "acme", "/ws/members")
	if got := s.Requests().Faults[FaultFailRoute]; got != 10 {
		t.Errorf("fail-route faults %d", got)
	}
	s.SetFaults(Faults{})
	get(t, s, "acme", "/ws/quick-tasks")
}

func TestDrift(t *testing.T) {
	s := newServer(t, Options{Faults: Faults{RateDrift: 1}})
	before := map[int64]bool{}
	for _, id := range s.Workspace("acme").ItemIDs("invoices") {
		before[id] = true
	}
	for page := 1; page <= 20; page++ {
		get(t, s, "acme", fmt.Sprintf("/ws/types/invoices/items?limit=10&page=%d", page))
	}
	ids := s.Workspace("acme").ItemIDs("invoices")
	inserted := 0
	for _, id := range ids {
		if !before[id] {
			inserted++
		}
	}
	deleted := len(before) + inserted - len(ids)
	if inserted == 0 || deleted == 0 || inserted+deleted != 20 {
		t.Errorf("drift inserted %d and deleted %d items in 20 pages", inserted, deleted)
	}
	get(t, s, "acme", "/ws/types/invoices/fields") // only item lists drift
	if got := s.Requests().Faults[FaultDrift]; got != 20 {
		t.Errorf("drift faults %d, want 20", got)
	}
}

func TestSetFaultsWhileServing(t *testing.T) {
	s := newServer(t, Options{Sleep: (&noSleep{}).sleep})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				do(t, s, req{method: "GET", path: "/ws/types/clients/items?page=" + itoa(int64(i%4+1)), ws: "acme"})
			}
		}()
	}
	for i := 0; i < 50; i++ {
		s.SetFaults(Faults{Rate429: float64(i%2) / 2, RateDrift: 0.5, FailRoutes: map[string]int{"x": 500}})
	}
	wg.Wait()
	if got := s.Requests().Total; got != 200 {
		t.Errorf("total %d", got)
	}
}
