package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Client talks to one Enspace environment with one API key. It is safe for
// concurrent use; every request, from any goroutine, shares its
// concurrency cap and rate limit.
type Client struct {
	opts  Options // with defaults; opts.APIKey is the zero Secret, see key
	key   *secretHolder
	base  string // scheme://host/prefix without a trailing slash
	http  *http.Client
	lim   *limiter
	log   *slog.Logger
	stats stats
	waves waveWarner          // see warnUnreachable
	rand  func(n int64) int64 // a number in [0, n), for backoff jitter
	// pageCap is the largest page a listing saw the server honour when
	// asked for more; 0 until then. See PageSize.
	pageCap atomic.Int64
	// pageSeen holds, by list route name, the largest page that route
	// answered (an int): see listing.probe.
	pageSeen sync.Map
	// noCount holds the count routes (by name) that answered "no count"
	// once, so that it is logged once.
	noCount sync.Map
}

// secretHolder keeps the key behind a pointer, so that even a printout of
// the Client's fields (%+v of a dereferenced Client) shows an address.
type secretHolder struct {
	key  Secret
	scan *keyScan // finds the key in answers
}

var _ fmt.Formatter = (*Client)(nil)

// New checks opts and returns a Client. The error names the first invalid
// option and never contains the key.
func New(opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		key:  &secretHolder{key: o.APIKey, scan: newKeyScan(o.APIKey.Reveal())},
		base: base.String(),
		http: newHTTPClient(o.HTTPClient, o.Concurrency),
		lim:  newLimiter(o.Concurrency, o.RequestsPerSecond, o.Pause, o.Now, o.Sleep),
		log:  o.Logger,
		rand: rand.Int64N,
	}
	o.APIKey = ""
	c.opts = o
	return c, nil
}

// Format implements fmt.Formatter: every verb prints the base URL and
// "[redacted]" for the key, nothing else.
func (c *Client) Format(f fmt.State, verb rune) {
	if c == nil {
		fmt.Fprint(f, "api.Client(nil)")
		return
	}
	fmt.Fprintf(f, "api.Client{base: %s, key: %s}", c.base, redacted)
}

// Stats returns the request counts so far. It is safe to call while
// requests run.
func (c *Client) Stats() RequestStats { return c.stats.snapshot() }

// PausedUntil returns when the current pause ends: after a 429 or 503 with
// Retry-After, to this client or to one sharing its Options.Pause, no new
// request is sent before that. A time not after now means the client is
// not paused. It is safe to call while requests run.
func (c *Client) PausedUntil() time.Time { return c.lim.pausedUntil() }

// Do sends one request of the named route, its placeholders filled from
// params, and returns the body of the 2xx answer (any 2xx is a success; an
// empty body gives a nil message). body, when not nil, is sent as JSON.
// workspace is the en-workspace header, required by workspace routes.
// Failures are retried as described in the package documentation; a non-2xx
// answer is returned as an *Error.
func (c *Client) Do(ctx context.Context, route string, workspace string, params map[string]string, body any) (json.RawMessage, error) {
	req, err := c.newRequest(route, workspace, params, body)
	if err != nil {
		return nil, c.scrub(err)
	}
	return c.send(ctx, req)
}

// Get fetches one object of kind k through its get route; params fill the
// route's placeholders (the id, and the parent's parameter for a child
// kind). Singleton kinds take no id.
func (c *Client) Get(ctx context.Context, k *kind.Kind, workspace string, params map[string]string) (Object, error) {
	if k.Get == "" {
		return Object{}, fmt.Errorf("get %s: the kind has no get route", k.Name)
	}
	raw, err := c.Do(ctx, k.Get, workspace, params, nil)
	if err != nil {
		return Object{}, c.scrub(fmt.Errorf("get %s: %w", k.Name, err))
	}
	o, err := NewObject(k, parentValue(k, params), raw)
	if err != nil {
		return Object{}, c.scrub(fmt.Errorf("get %s: %w", k.Name, err))
	}
	return o, nil
}

// Count returns the number of objects of kind k from its count route,
// which answers {"count": N}. ok is false when the kind has no count route,
// when the config switched the route off (an empty path), or when the
// route answers a status that means "no count here" (see NoCountStatus):
// the listing then goes on without a count, and the first such answer of
// each route is logged.
func (c *Client) Count(ctx context.Context, k *kind.Kind, workspace string, params map[string]string) (n int, ok bool, err error) {
	if k.Count == "" {
		return 0, false, nil
	}
	if rt, found := c.opts.Routes[k.Count]; found && rt.Off() {
		return 0, false, nil
	}
	raw, err := c.Do(ctx, k.Count, workspace, params, nil)
	if st := StatusOf(err); NoCountStatus(st) {
		if _, seen := c.noCount.LoadOrStore(k.Count, true); !seen {
			c.log.Warn("the count route answers no count; listing without it",
				"route", k.Count, "status", st,
				"hint", fmt.Sprintf("set routes: {%s: none} for this environment", k.Count))
		}
		return 0, false, nil
	}
	if err != nil {
		return 0, false, c.scrub(fmt.Errorf("count %s: %w", k.Name, err))
	}
	n, err = decodeCount(raw)
	if err != nil {
		// A 2xx answer that holds no count the client can read: the
		// kind is listed without one rather than failed.
		if _, seen := c.noCount.LoadOrStore(k.Count, true); !seen {
			c.log.Warn("the count route answers something that is not a count; listing without it",
				"route", k.Count, "error", c.scrub(err).Error(),
				"hint", fmt.Sprintf("set routes: {%s: none} for this environment", k.Count))
		}
		return 0, false, nil
	}
	return n, true, nil
}

// warnBadTotal logs, once per list route, that the route's envelope gives
// a total that is not a count (raw): the route is listed without it.
func (c *Client) warnBadTotal(route string, raw json.RawMessage) {
	if raw == nil {
		return
	}
	if _, seen := c.noCount.LoadOrStore(route+" total", true); !seen {
		c.log.Warn("the list's envelope gives a total that is not a count; listing without it",
			"route", route, "total", preview(c.redact(raw)))
	}
}

// NoCountStatus reports whether a count route answering status means the
// server has no count there: 404 or 405 (no such route), 501 (not
// implemented), 400 or 422 (the path reached another route, such as an
// assumed /items/count landing on /items/{id}, whose id check refuses
// "count"). Any other error fails the listing.
func NoCountStatus(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return true
	}
	return false
}

// decodeCount reads {"count": N} (or {"total": N}, or a bare N).
func decodeCount(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var v map[string]json.RawMessage
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrInvalidBody, err)
		}
		n, found := v["count"]
		if !found {
			n, found = v["total"]
		}
		if !found {
			return 0, fmt.Errorf("%w: no \"count\" in %s", ErrInvalidBody, preview(raw))
		}
		raw = n
	}
	return parseTotal(raw)
}

// parseTotal reads a non-negative integer.
func parseTotal(raw json.RawMessage) (int, error) {
	n, ok := parseCount(raw)
	if !ok {
		return 0, fmt.Errorf("%w: expected a count, got %s", ErrInvalidBody, preview(raw))
	}
	return n, nil
}

// parseCount reads a non-negative integer up to maxTotal: a JSON number
// with an integral value, however spelled (3, 3.0, 3e0, 30e-1), or a JSON
// string of decimal digits ("3", what node-postgres answers for COUNT(*),
// a bigint). 3.5, -1, "3.0" and "" are not counts.
func parseCount(raw json.RawMessage) (int, bool) {
	s := string(bytes.TrimSpace(raw))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		digits := s[1 : len(s)-1]
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return 0, false
		}
		s = digits
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ok bool
		if n, ok = integralNumber(s); !ok {
			return 0, false
		}
	}
	if n < 0 || n > maxTotal {
		return 0, false
	}
	return int(n), true
}

// integralNumber reads a JSON number spelled with a fraction or an
// exponent whose value is a non-negative integer up to maxTotal.
func integralNumber(s string) (int64, bool) {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mant, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, false
	}
	e := 0
	if hasExp {
		v, err := strconv.Atoi(strings.TrimPrefix(exp, "+"))
		if err != nil || v > 100 || v < -100 {
			return 0, false
		}
		e = v
	}
	digits := strings.TrimLeft(whole+frac, "0")
	e -= len(frac)
	for e < 0 && strings.HasSuffix(digits, "0") {
		digits, e = digits[:len(digits)-1], e+1
	}
	if digits == "" {
		return 0, true
	}
	if e < 0 || len(digits)+e > 15 {
		return 0, false // a fraction, or far above maxTotal
	}
	n, err := strconv.ParseInt(digits+strings.Repeat("0", e), 10, 64)
	return n, err == nil
}

// ReadCount reads a count or a total as List does: an integral JSON
// number however spelled (3, 3.0, 3e0) or a string of decimal digits
// ("3"), not negative. ok is false for anything else.
func ReadCount(raw json.RawMessage) (n int, ok bool) { return parseCount(raw) }

// maxTotal bounds counts and totals, far above any real collection.
const maxTotal = 1 << 40

// parentValue returns the parent's value among params for a child kind.
func parentValue(k *kind.Kind, params map[string]string) string {
	if k.Parent == "" {
		return ""
	}
	return params[k.ParentParam]
}
