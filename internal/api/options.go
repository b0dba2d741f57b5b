package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxPageSize is the largest page the contract allows (query "limit").
const MaxPageSize = 100

// Options configures a Client. Every zero value means the default written
// next to the field.
type Options struct {
	// BaseURL is the API's root, such as https://api.leif.enspace.io. It
	// must be http or https with a host, and carry no user, query or
	// fragment; a path is kept as a prefix of every route.
	BaseURL string
	// APIKey is sent as x-api-key on every request and nowhere else.
	APIKey Secret
	// Routes is the route table; nil means DefaultRoutes().
	Routes Routes
	// Concurrency caps the requests in flight, shared by everything that
	// uses the client; 0 means 8.
	Concurrency int
	// RequestsPerSecond caps the request rate, shared like Concurrency; 0
	// means unlimited.
	RequestsPerSecond float64
	// Pause is the Retry-After pause the client honours and extends; nil
	// means one of its own. Clients given the same Pause (one per server)
	// hold each other's requests after a Retry-After, while each keeps its
	// own Concurrency and RequestsPerSecond.
	Pause *Pause
	// PageSize is the "limit" of list requests; 0 means MaxPageSize, more
	// than MaxPageSize is refused (a server that clamps it would make every
	// page look like the last).
	PageSize int
	// NoPageContinuation turns off what List does when a counted listing
	// falls short of its count (continuing with the page size the server
	// honoured, asking short pages again): such a listing then fails with
	// ErrShortListing at once. For tests; false in production.
	NoPageContinuation bool
	// MaxPages stops a listing that has not ended after that many pages
	// with ErrTooManyPages; 0 means 100,000.
	MaxPages int
	// Timeout bounds one attempt of a request, from sending it to reading
	// the last byte of the answer; 0 means 60s.
	Timeout time.Duration
	// MaxResponseBytes bounds an answer's body; a larger one fails with
	// ErrTooLarge and is not retried. 0 means 64 MiB.
	MaxResponseBytes int64
	// MaxAttempts bounds the attempts of one request, the first included;
	// 0 means 8.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the wait before a retry: a random
	// duration between 0 and min(BackoffMax, BackoffBase*2^retry). 0 means
	// 250ms and 30s.
	BackoffBase, BackoffMax time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// longer one ends the retries with the *Error. 0 means 5m.
	MaxRetryAfter time.Duration
	// HTTPClient sends the requests; nil means a client with its own
	// transport. Unless it has a CheckRedirect of its own, redirects to
	// another host or from https to http are refused, so that the key never
	// travels anywhere but BaseURL's host.
	HTTPClient *http.Client
	// Logger receives one debug line per attempt (method, path, status,
	// attempt, duration) and one per wait; nil discards them. The key is
	// never logged.
	Logger *slog.Logger
	// UserAgent is the User-Agent header; "" means "enspace-sync".
	UserAgent string

	// Sleep waits d or until ctx is done; nil means a timer. Tests inject
	// it so that backoff never sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now returns the current time; nil means time.Now. It dates
	// Retry-After headers and drives the rate limit.
	Now func() time.Time
	// OnPause, if set, hears when a 429 or 503 with Retry-After pauses the
	// client, or extends its pause, with the moment the pause ends (see
	// Client.PausedUntil). It runs on the goroutine of the request that
	// got the answer and must not block.
	OnPause func(until time.Time)
}

// Format implements fmt.Formatter: Options print as their fields with the
// key replaced by "[redacted]", whatever the verb, even where fmt prints a
// bad verb's value without calling methods.
func (o Options) Format(f fmt.State, verb rune) {
	type redactedOptions Options // the same fields, without this method
	safe := redactedOptions(o)
	safe.APIKey = redacted
	fmt.Fprintf(f, fmt.FormatString(f, verb), safe)
}

// withDefaults returns a copy of o with every zero value replaced by its
// default, or an error naming the first invalid option.
func (o Options) withDefaults() (Options, error) {
	if o.BaseURL == "" {
		return o, errors.New("options: base URL is empty")
	}
	if err := checkKey(o.APIKey); err != nil {
		return o, err
	}
	if o.Routes == nil {
		o.Routes = DefaultRoutes()
	}
	for _, c := range []struct {
		name string
		bad  bool
	}{
		{"concurrency", o.Concurrency < 0},
		{"requests per second", o.RequestsPerSecond < 0},
		{"page size", o.PageSize < 0 || o.PageSize > MaxPageSize},
		{"max pages", o.MaxPages < 0},
		{"timeout", o.Timeout < 0},
		{"max response bytes", o.MaxResponseBytes < 0},
		{"max attempts", o.MaxAttempts < 0},
		{"backoff base", o.BackoffBase < 0},
		{"backoff max", o.BackoffMax < 0},
		{"max retry-after", o.MaxRetryAfter < 0},
	} {
		if c.bad {
			return o, fmt.Errorf("options: %s out of range (page size at most %d, nothing negative)", c.name, MaxPageSize)
		}
	}
	setDefault(&o.Concurrency, 8)
	setDefault(&o.PageSize, MaxPageSize)
	setDefault(&o.MaxPages, 100_000)
	setDefault(&o.Timeout, 60*time.Second)
	setDefault(&o.MaxResponseBytes, 64<<20)
	setDefault(&o.MaxAttempts, 8)
	setDefault(&o.BackoffBase, 250*time.Millisecond)
	setDefault(&o.BackoffMax, 30*time.Second)
	setDefault(&o.MaxRetryAfter, 5*time.Minute)
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = o.BackoffBase
	}
	if o.UserAgent == "" {
		o.UserAgent = "enspace-sync"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sleep == nil {
		o.Sleep = sleepTimer
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// checkKey refuses an empty key or one that cannot be a header value. The
// error never quotes the key.
func checkKey(key Secret) error {
	k := key.Reveal()
	if k == "" {
		return errors.New("options: API key is empty")
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return errors.New("options: API key holds a space or control character (check the key file for a stray newline)")
		}
	}
	return nil
}

// parseBaseURL checks a base URL and returns it without a trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// The reason only: url.Error quotes the whole URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("options: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("options: base URL %q: scheme must be http or https", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("options: base URL %q: no host", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("options: base URL %q: must not carry a user or password", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("options: base URL %q: must not carry a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// newHTTPClient returns the client requests go through: the caller's (a
// copy, with the redirect policy added when it has none) or a new one.
func newHTTPClient(given *http.Client, concurrency int) *http.Client {
	var c http.Client
	if given != nil {
		c = *given
	} else {
		// The default transport's dial, TLS and idle timeouts and proxy
		// settings, with enough idle connections to keep every slot's.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = max(tr.MaxIdleConns, 2*concurrency)
		tr.MaxIdleConnsPerHost = concurrency
		c.Transport = tr
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = sameHostRedirects
	}
	return &c
}

// errRedirect is returned (wrapped by net/http) for a redirect the client
// refuses to follow. It is never retried.
var errRedirect = errors.New("refusing a redirect to another host or to plain http (it would carry the API key)")

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
		return errRedirect
	}
	return nil
}

// sleepTimer waits d or until ctx is done.
func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
