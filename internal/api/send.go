package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/retry"
)

// maxErrorBody bounds how much of a non-2xx answer is read.
const maxErrorBody = 64 << 10

// request is one API call, ready to be sent as many times as needed.
type request struct {
	method    string
	path      string // path and query, relative to the base URL
	workspace string // the en-workspace header, "" for user-level routes
	body      []byte // JSON, nil for none
	// valid, when set, reports whether a 2xx body is JSON in place of
	// jsonv.Valid: a list page checks its body while splitting it (see
	// splitSummed), so it is not scanned twice.
	valid func(body []byte) bool
	// into, when it has room for a 2xx body of announced length, is the
	// buffer the body is read into (a listing's page lent to its caller,
	// see ListLent): not a fresh one.
	into []byte
}

func (r request) where() string { return r.method + " " + r.path }

// newRequest resolves a route into a request.
func (c *Client) newRequest(route, workspace string, params map[string]string, body any) (request, error) {
	rt, ok := c.opts.Routes[route]
	if !ok {
		return request{}, fmt.Errorf("unknown route %q", route)
	}
	if rt.Off() {
		return request{}, fmt.Errorf("route %q is %w", route, ErrRouteOff)
	}
	path, err := rt.Build(params)
	if err != nil {
		return request{}, err
	}
	req := request{method: rt.Method, path: path}
	if rt.Workspace {
		if workspace == "" {
			return request{}, fmt.Errorf("%s: route %s needs a workspace", req.where(), route)
		}
		req.workspace = workspace
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return request{}, fmt.Errorf("%s: encode body: %w", req.where(), err)
		}
		req.body = b
	}
	return req, nil
}

// withPage returns path with the query parameters page and limit set,
// keeping any query the route's template carries.
func withPage(path string, page, limit int) (string, error) {
	u, err := url.Parse(path)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", path, err)
	}
	q := u.Query()
	q.Set("page", fmt.Sprint(page))
	q.Set("limit", fmt.Sprint(limit))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// send makes up to MaxAttempts attempts of r through the shared retry loop
// (internal/retry), and returns the first 2xx body or the last failure.
// What is worth another attempt is decided here: a create only when the
// server certainly did not act on it, a body that is not JSON a few times.
func (c *Client) send(ctx context.Context, r request) (json.RawMessage, error) {
	invalid := 0
	var body json.RawMessage
	p := retry.Policy{Attempts: c.opts.MaxAttempts, Base: c.opts.BackoffBase, Max: c.opts.BackoffMax,
		Rand: c.rand, MaxRetryAfter: c.opts.MaxRetryAfter, Sleep: c.opts.Sleep}
	p.OnWait = func(attempt int, wait time.Duration, o retry.Outcome) {
		c.stats.wait(wait)
		c.log.Debug("api retry wait", "method", r.method, "path", r.path, "attempt", attempt,
			"wait", wait, "retry_after", o.HasRetryAfter)
		c.warnUnreachable(attempt, p.Attempts, wait, o.Err)
	}
	err := p.Do(ctx, func(attempt int) retry.Outcome {
		b, f := c.attempt(ctx, r, attempt)
		if f == nil {
			body = b
			c.waves.answered()
			return retry.Outcome{}
		}
		o := retry.Outcome{Err: f.err, Retry: f.retry && (idempotent(r.method) || f.unprocessed),
			RetryAfter: f.retryAfter, HasRetryAfter: f.hasRetryAfter}
		if f.invalidBody {
			invalid++
			if o.Retry && invalid >= maxInvalidBodies && attempt < p.Attempts {
				o.Retry, o.Err = false, fmt.Errorf("giving up after %d attempts: %w", attempt, f.err)
			}
		}
		return o
	})
	if err != nil {
		return nil, c.scrub(err)
	}
	return body, nil
}

// attempt sends r once, holding a slot of the limiter from sending to
// reading the last byte, and judges the answer.
func (c *Client) attempt(ctx context.Context, r request, n int) (json.RawMessage, *failure) {
	throttled, release, err := c.lim.acquire(ctx)
	if err != nil {
		return nil, &failure{err: fmt.Errorf("%s: %w", r.where(), err)}
	}
	c.stats.throttle(throttled)
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	status, header, body, err := c.roundTrip(actx, r)
	timedOut := actx.Err() != nil
	cancel()
	// A Retry-After holds the client before the slot is given back, or a
	// request waiting for the slot would go out inside the pause.
	if err == nil && retryableStatus(status) {
		if ra := header.Get("Retry-After"); ra != "" {
			if d, ok := retry.ParseRetryAfter(ra, serverNow(header, c.opts.Now())); ok {
				c.pause(r, status, d)
			}
		}
	}
	release()
	// The goroutine waiting for the slot just freed sends its request at
	// once instead of after this answer is decoded and stored: the slot is
	// taken the moment it is released, and on a busy machine the waiter may
	// otherwise hold it idle for a millisecond or more (4% of a 100,000-item
	// backup's time at 20 ms latency).
	runtime.Gosched()

	counted := status
	if err != nil {
		counted = 0
	}
	c.stats.attempt(counted, n > 1)
	f := c.judge(ctx, r, status, header, body, err, timedOut)
	attrs := []any{"method", r.method, "path", r.path, "status", counted, "attempt", n,
		"duration", time.Since(start).Round(time.Microsecond)}
	if r.workspace != "" {
		attrs = append(attrs, "workspace", r.workspace)
	}
	if f != nil {
		attrs = append(attrs, "error", c.scrub(f.err).Error())
	}
	c.log.Debug("api request", attrs...)
	if f != nil {
		return nil, f
	}
	return body, nil
}

// pause holds every new request of the client for d (at most
// MaxRetryAfter), after an answer with this status and a Retry-After of d
// to r. Requests in flight finish; the one that got the answer waits in
// the retry loop as well. A pause is logged and counted when it starts,
// not for each request it holds.
func (c *Client) pause(r request, status int, d time.Duration) {
	d = min(d, c.opts.MaxRetryAfter)
	now := c.opts.Now()
	until := now.Add(d)
	added, starts := c.lim.pause(now, until)
	if added <= 0 {
		return
	}
	c.stats.pause(added, starts)
	attrs := []any{"until", until.Format(time.RFC3339Nano), "retry_after", d, "status", status,
		"method", r.method, "path", r.path}
	if r.workspace != "" {
		attrs = append(attrs, "workspace", r.workspace)
	}
	if starts {
		c.log.Info("api paused by the server's retry-after", attrs...)
	} else {
		c.log.Debug("api pause extended", attrs...)
	}
	if c.opts.OnPause != nil {
		c.opts.OnPause(until)
	}
}

// roundTrip sends r and reads the answer's body through a limit.
func (c *Client) roundTrip(ctx context.Context, r request) (status int, header http.Header, body []byte, err error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("x-api-key", c.key.key.Reveal())
	if r.workspace != "" {
		req.Header.Set("en-workspace", r.workspace)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	limit := c.opts.MaxResponseBytes
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = min(limit, maxErrorBody)
		body, err = io.ReadAll(io.LimitReader(resp.Body, limit))
		return resp.StatusCode, resp.Header, body, err
	}
	if resp.ContentLength > limit {
		return resp.StatusCode, resp.Header, nil, ErrTooLarge
	}
	body, err = readBody(r.into, resp.Body, resp.ContentLength, limit+1)
	if err == nil && int64(len(body)) > limit {
		return resp.StatusCode, resp.Header, nil, ErrTooLarge
	}
	return resp.StatusCode, resp.Header, body, err
}

// judge turns the outcome of one attempt into nil (success) or a failure.
// ctx is the caller's context; timedOut says the attempt's own deadline
// passed.
func (c *Client) judge(ctx context.Context, r request, status int, header http.Header, body []byte, err error, timedOut bool) *failure {
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		switch {
		case ctx.Err() != nil:
			return &failure{err: fmt.Errorf("%s: %w", r.where(), ctx.Err())}
		case errors.Is(err, ErrTooLarge):
			return &failure{err: fmt.Errorf("%s: %w (over %d bytes)", r.where(), ErrTooLarge, c.opts.MaxResponseBytes)}
		case timedOut:
			return &failure{retry: true, err: fmt.Errorf("%s: no complete answer within %s: %w",
				r.where(), c.opts.Timeout, context.DeadlineExceeded)}
		}
		return &failure{err: fmt.Errorf("%s: %w", r.where(), err),
			retry: retryableTransport(err), unprocessed: refused(err)}
	}
	if status < 200 || status > 299 {
		e := ParseError(status, c.redact(body))
		e.Method, e.Path = r.method, r.path
		e.RetryAfter = header.Get("Retry-After")
		f := &failure{err: e, retry: retryableStatus(status)}
		if f.retry && e.RetryAfter != "" {
			f.retryAfter, f.hasRetryAfter = retry.ParseRetryAfter(e.RetryAfter, serverNow(header, c.opts.Now()))
		}
		// A 429 is refused before the server acts; a 503 only when it
		// asks to come back later (Retry-After). Without one, a 503 is
		// as likely a gateway that gave up while the server went on: a
		// create answered so is looked up before it is sent again.
		f.unprocessed = status == http.StatusTooManyRequests ||
			(status == http.StatusServiceUnavailable && f.hasRetryAfter)
		return f
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var valid bool
	if r.valid != nil {
		valid = r.valid(body)
	} else {
		valid = jsonv.Valid(body) // a third of encoding/json.Valid's time
	}
	// The key is looked for once the body was read through: its bytes
	// are then in the cache, where the first pass over a fresh page
	// waits for memory. A body that holds the key is refused whether
	// or not it is JSON.
	if c.key.scan.in(body) {
		return &failure{err: fmt.Errorf("%w: %s: the answer holds the API key; refused so that the key is never stored",
			ErrInvalidBody, r.where())}
	}
	if valid {
		return nil
	}
	var probe json.RawMessage
	why := json.Unmarshal(body, &probe)
	if title := htmlSummary(string(bytes.TrimSpace(body))); title != "" {
		return &failure{retry: true, invalidBody: true, err: fmt.Errorf("%w: %s: %w: %s",
			ErrInvalidBody, r.where(), ErrHTMLPage, title)}
	}
	return &failure{retry: true, invalidBody: true, err: fmt.Errorf("%w: %s: not JSON (%v): %s",
		ErrInvalidBody, r.where(), why, preview(c.redact(body)))}
}

// redact replaces the key in text the server sent (an echo of the request
// in an error page) before it can reach an error or a log.
func (c *Client) redact(b []byte) []byte {
	key := c.key.key.Reveal()
	if !bytes.Contains(b, []byte(key)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(key), []byte(redacted))
}

// scrub makes sure an error's text cannot hold the key, keeping its chain
// for errors.Is and errors.As.
func (c *Client) scrub(err error) error {
	if err == nil || !strings.Contains(err.Error(), c.key.key.Reveal()) {
		return err
	}
	return &scrubbedError{err: err, text: strings.ReplaceAll(err.Error(), c.key.key.Reveal(), redacted)}
}

type scrubbedError struct {
	err  error
	text string
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

// readBody reads at most limit bytes of r, into one buffer of the announced
// size when there is one (io.ReadAll would grow and copy a page's buffer
// seven times): dst's, when it has the room, else a fresh one, an eighth
// larger when dst is given (a lent page's buffer, kept for pages of
// about its size).
func readBody(dst []byte, r io.Reader, announced, limit int64) ([]byte, error) {
	if announced < 0 && dst != nil {
		// No length (a gzipped or chunked answer): grow the lent buffer.
		return readGrowing(dst[:0], io.LimitReader(r, limit))
	}
	if announced < 0 || announced >= limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	// +1: room to see a longer body end. Reading stops there: a body
	// that fills want is longer than announced.
	want := int(announced + 1)
	buf := dst[:0]
	switch {
	case cap(buf) >= want:
	case dst != nil:
		buf = make([]byte, 0, want+want/8)
	default:
		buf = make([]byte, 0, want)
	}
	for {
		n, err := r.Read(buf[len(buf):want])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == want {
			// Longer than announced: read the rest the ordinary way.
			rest, err := io.ReadAll(io.LimitReader(r, limit-int64(len(buf))))
			return append(buf, rest...), err
		}
	}
}

// readGrowing appends what r holds to buf, growing it as io.ReadAll
// does, so that a buffer used again keeps its room across pages.
func readGrowing(buf []byte, r io.Reader) ([]byte, error) {
	if cap(buf) < 512 {
		buf = make([]byte, 0, 512)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// serverNow is the moment an answer was sent by the server's clock, its
// Date header, or local when it has none: a Retry-After date is measured
// against it, so that a server whose clock is off from ours still gets the
// wait it asked for (Retry-After minus Date).
func serverNow(header http.Header, local time.Time) time.Time {
	if d, err := http.ParseTime(header.Get("Date")); err == nil {
		return d
	}
	return local
}
