package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// contractFaults are the faults of the fault-equality test: 10% 429 (half
// of them, and of the 503s, with Retry-After: 1), 5% 500/502/503, 2%
// connections reset mid-body.
var contractFaults = fakeapi.Faults{Rate429: 0.10, RetryAfterShare: 0.5, RetryAfter: time.Second, Rate5xx: 0.05, RateReset: 0.02}

// faultItems and faultPageSize make a walk of acme take a few hundred
// requests, so that every kind of fault happens.
const faultItems, faultPageSize = 300, 5

// faultRun is one walk of acme through a server with faults.
type faultRun struct {
	snap   *snapshot
	counts fakeapi.RequestCounts
	stats  api.RequestStats
	clock  *clock
}

func runFaulty(t *testing.T, seed int64, f fakeapi.Faults, scale float64) faultRun {
	t.Helper()
	e := newEnv(t, setup{fake: fakeapi.Options{Seed: seed, Items: faultItems, Faults: f}, pageSize: faultPageSize, scale: scale})
	snap, err := walk(context.Background(), e, "acme")
	noKey(t, err)
	if err != nil {
		t.Fatalf("walk with faults: %v", err)
	}
	return faultRun{snap: snap, counts: e.srv.Requests(), stats: e.c.Stats(), clock: e.clock}
}

// TestContractFaultsChangeNothing lists every kind of acme without faults,
// then with 429s, 5xxs and resets from the same seed: the client must get
// exactly the same objects, byte for byte, and never send a request before
// a Retry-After ran out. The client and the server share a clock that
// moves only when the client sleeps, so the waits take no real time while
// the server still sees them.
func TestContractFaultsChangeNothing(t *testing.T) {
	skipIfReal(t, "fault injection needs the built-in fake")
	dated := contractFaults
	dated.RetryAfterDate = true
	total := map[string]int64{}
	for _, tt := range []struct {
		name   string
		seed   int64
		faults fakeapi.Faults
	}{
		{"seed 1", 1, contractFaults},
		{"seed 2", 2, contractFaults},
		{"seed 3", 3, contractFaults},
		{"seed 4, Retry-After as a date", 4, dated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			free := newEnv(t, setup{fake: fakeapi.Options{Seed: tt.seed, Items: faultItems}, pageSize: faultPageSize})
			want, err := walk(context.Background(), free, "acme")
			if err != nil {
				t.Fatalf("walk without faults: %v", err)
			}
			freeCounts := free.srv.Requests()
			got := runFaulty(t, tt.seed, tt.faults, 1)

			if d := diffRaw(without(want.raw, volatileKinds...), without(got.snap.raw, volatileKinds...)); d != "" {
				t.Errorf("objects differ from the fault-free listing:\n%s", d)
			}
			if n := len(want.objs["items"]); n != 3*faultItems {
				t.Errorf("%d items listed, want %d", n, 3*faultItems)
			}
			for name, res := range got.snap.results {
				if !strings.HasPrefix(name, "request-logs/") && (res.Drift || res.Duplicates != 0) {
					t.Errorf("%s: %+v, want no drift and no duplicates", name, res)
				}
			}
			c := got.counts
			if c.EarlyRetries != 0 {
				t.Errorf("%d requests sent before their Retry-After ran out", c.EarlyRetries)
			}
			for _, k := range []string{fakeapi.FaultRateLimit, fakeapi.FaultServerError} {
				if c.Faults[k] == 0 {
					t.Errorf("no %s fault injected: %v", k, c.Faults)
				}
			}
			for k, n := range c.Faults {
				total[k] += n
			}
			injected := c.Faults[fakeapi.FaultRateLimit] + c.Faults[fakeapi.FaultServerError] + c.Faults[fakeapi.FaultReset]
			// Each fault costs exactly one retry, after one wait.
			if int64(got.stats.Retries) != injected || int64(got.stats.Waits) != injected {
				t.Errorf("%d faults injected, the client retried %d times after %d waits", injected, got.stats.Retries, got.stats.Waits)
			}
			// Retry-After: 1 was honoured at least once on the shared clock.
			if got.clock.slept < time.Second {
				t.Errorf("the client slept %s in all", got.clock.slept)
			}
			t.Logf("requests: %d without faults, %d with (%d faults: %v); client: %d retries, %d waits, %s slept on the fake clock",
				freeCounts.Total, c.Total, injected, c.Faults, got.stats.Retries, got.stats.Waits, got.clock.slept.Round(time.Millisecond))
			// The client saw every fault the server injected, kind by kind.
			seen := 0
			for _, n := range got.snap.failed {
				seen += n
			}
			if int64(seen) != injected {
				t.Errorf("the client saw %d failed answers, the server injected %d faults", seen, injected)
			}
			t.Logf("faults by kind (failed/requests): %s", byKind(got.snap))
		})
	}
	if total[fakeapi.FaultReset] == 0 {
		t.Errorf("no reset injected in any run: %v", total)
	}
}

// TestContractFaultsCatchEarlyRetries is the control of the test above: a
// client whose sleeps last a tenth of what it asks for retries before
// Retry-After ran out, and the server counts it.
func TestContractFaultsCatchEarlyRetries(t *testing.T) {
	skipIfReal(t, "fault injection needs the built-in fake")
	got := runFaulty(t, 1, contractFaults, 0.1)
	if got.counts.EarlyRetries == 0 {
		t.Errorf("no early retry counted although every wait lasted a tenth (%d faults %v)",
			got.counts.Faults[fakeapi.FaultRateLimit], got.counts.Faults)
	}
	t.Logf("%d early retries", got.counts.EarlyRetries)
}

// byKind lists the failed and all requests of each kind's listings.
func byKind(s *snapshot) string {
	var parts []string
	for _, k := range kind.All() {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k.Name, s.failed[k.Name], s.requests[k.Name]))
	}
	return strings.Join(parts, ", ")
}
