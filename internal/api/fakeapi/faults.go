package fakeapi

import (
	"encoding/binary"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Faults are the faults a server injects into requests that passed
// authentication. Rates are shares between 0 and 1. The rates of 429, 5xx,
// HTML, reset and truncate split one draw, so each happens at its own rate
// as long as they add up to at most 1 (beyond that the later ones in that
// order get what is left).
type Faults struct {
	// Latency is added to every request.
	Latency time.Duration
	// Jitter adds a further random delay from 0 to Jitter.
	Jitter time.Duration
	// Rate429 is the share of requests answered 429 Too Many Requests.
	Rate429 float64
	// RetryAfterShare is the share of 429 and 503 answers that carry
	// Retry-After.
	RetryAfterShare float64
	// RetryAfter is the value sent in Retry-After, in seconds rounded up;
	// 0 means 1s.
	RetryAfter time.Duration
	// RetryAfterDate sends Retry-After as an HTTP date (now + RetryAfter)
	// instead of seconds.
	RetryAfterDate bool
	// Rate5xx is the share answered 500, 502 or 503 (picked among the three;
	// 502 comes with a proxy's HTML page).
	Rate5xx float64
	// RateReset is the share whose connection is reset mid-body.
	RateReset float64
	// RateTruncate is the share whose body is cut short: Content-Length
	// says more than is sent, then the connection closes.
	RateTruncate float64
	// RateHTML is the share answered 200 with an HTML page.
	RateHTML float64
	// RateDrift is the share of item list requests before which one item
	// is inserted or deleted, so that rows shift between page calls.
	RateDrift float64
	// RateLostWrite is the share of writes (POST, PUT, DELETE) that are
	// applied and then answered 500 or dropped without an answer.
	RateLostWrite float64
	// LostWriteStatus is the status a lost write that is answered gets: 0
	// for 500, or any other, 503 say, as a gateway answers when it gives
	// up on a server that goes on with the request (never with
	// Retry-After). When it is set, every lost write is answered with it,
	// none dropped.
	LostWriteStatus int
	// LostWriteMethod, when set (POST say, in any case), limits lost writes to requests
	// of that method: creates lost while updates go through.
	LostWriteMethod string
	// FailRoutes maps a route name to a status answered always, to make
	// one kind fail permanently ("quick-tasks.list": 500).
	FailRoutes map[string]int
}

// The kinds of fault counted in RequestCounts.Faults.
const (
	FaultRateLimit   = "rate-limit"   // 429
	FaultServerError = "server-error" // 500, 502 or 503
	FaultReset       = "reset"        // connection reset mid-body
	FaultTruncate    = "truncate"     // body shorter than Content-Length
	FaultHTML        = "html"         // 200 with an HTML page
	FaultDrift       = "drift"        // an item inserted or deleted before a page
	FaultLostWrite   = "lost-write"   // a write applied, then answered 500 (or LostWriteStatus) or dropped
	FaultFailRoute   = "fail-route"   // a route in FailRoutes
)

// SetFaults replaces the faults injected from now on. It is safe for
// concurrent use with requests in flight.
func (s *Server) SetFaults(f Faults) {
	f.FailRoutes = maps.Clone(f.FailRoutes)
	s.faults.Store(&f)
}

// decision is what faults one request gets. It is derived from the seed,
// the method, the path with query and the number of times that request
// line was seen, so it does not depend on how requests interleave.
type decision struct {
	delay      time.Duration
	kind       string // "" or one of FaultRateLimit, FaultServerError, FaultHTML, FaultReset, FaultTruncate
	status     int    // for FaultServerError
	retryAfter bool
	cut        uint64 // picks where a broken body stops
	drift      bool
	driftDraw  uint64
	lost       bool
	lostDrop   bool // dropped rather than answered 500
}

// decide draws the faults of the n-th arrival of a request line.
func (f *Faults) decide(seed int64, method, uri string, n int64) decision {
	draw := func(salt string) uint64 { return hash64(seed, salt, method, uri, n) }
	share := func(salt string) float64 { return unit(draw(salt)) }
	d := decision{delay: f.Latency, cut: draw("cut"), driftDraw: draw("drift-pick")}
	if f.Jitter > 0 {
		d.delay += time.Duration(draw("jitter") % uint64(f.Jitter+1))
	}
	u := share("exclusive")
	for _, p := range []struct {
		kind string
		rate float64
	}{
		{FaultRateLimit, f.Rate429}, {FaultServerError, f.Rate5xx}, {FaultHTML, f.RateHTML},
		{FaultReset, f.RateReset}, {FaultTruncate, f.RateTruncate},
	} {
		r := clamp01(p.rate)
		if u < r {
			d.kind = p.kind
			break
		}
		u -= r
	}
	if d.kind == FaultServerError {
		d.status = [...]int{500, 502, 503}[draw("status")%3]
	}
	d.retryAfter = share("retry-after") < clamp01(f.RetryAfterShare)
	d.drift = share("drift") < clamp01(f.RateDrift)
	d.lost = share("lost") < clamp01(f.RateLostWrite) && (f.LostWriteMethod == "" || strings.EqualFold(f.LostWriteMethod, method))
	d.lostDrop = f.LostWriteStatus == 0 && draw("lost-how")%2 == 1
	return d
}

// retryAfterValue is the Retry-After header value for a request that
// arrived at at, and the moment (unix ns) until which it asks the client to
// wait: at plus the seconds sent, or the date sent.
func (f *Faults) retryAfterValue(at time.Time) (string, int64) {
	ms := at.UnixMilli()
	d := f.RetryAfter
	if d <= 0 {
		d = time.Second
	}
	secs := int64((d + time.Second - 1) / time.Second)
	if f.RetryAfterDate {
		// HTTP dates have whole seconds: round up so a client waiting
		// until the date never waits less than RetryAfter.
		t := time.UnixMilli(ms).Add(d).Add(time.Second - 1).Truncate(time.Second)
		return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), t.UnixNano()
	}
	return strconv.FormatInt(secs, 10), at.Add(time.Duration(secs) * time.Second).UnixNano()
}

// hash64 hashes its arguments with FNV-1a and a final mix.
func hash64(seed int64, salt, method, uri string, n int64) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(seed))
	h.Write(buf[:])
	for _, s := range []string{salt, method, uri} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	binary.LittleEndian.PutUint64(buf[:], uint64(n))
	h.Write(buf[:])
	return mix64(h.Sum64())
}

// mix64 is the splitmix64 finalizer: it spreads every input bit over the
// whole output.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func clamp01(r float64) float64 {
	switch {
	case r != r || r < 0: // NaN or negative
		return 0
	case r > 1:
		return 1
	}
	return r
}
