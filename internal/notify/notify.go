package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/retry"
)

// Defaults of Options.
const (
	DefaultAttempts = 4
	DefaultTimeout  = 10 * time.Second
	DefaultBackoff  = 2 * time.Second
)

// maxWait caps the pause between two attempts, and a Retry-After longer
// than it ends the delivery: a notification must not hold the daemon's
// bookkeeping for long.
const maxWait = time.Minute

// Sentinel errors.
var (
	// ErrStatus is wrapped by a delivery that got an answer outside 2xx.
	ErrStatus = errors.New("unexpected status")
)

// Options configure a Notifier. Both URLs may be empty: that notification
// is then off.
type Options struct {
	// WebhookURL receives Events that need attention (see Event.Alert).
	WebhookURL string
	// HeartbeatURL is fetched with GET after each successful backup.
	HeartbeatURL string
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Attempts is how many times a delivery is tried; zero means DefaultAttempts.
	Attempts int
	// Backoff is the pause before the second attempt, doubled for each
	// further one up to a minute; zero means DefaultBackoff. An endpoint's
	// Retry-After (on 429 and 503) lengthens the pause.
	Backoff time.Duration
	// Sleep waits d or until ctx ends; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Client sends the requests; nil means a new http.Client.
	Client *http.Client
	// Logger receives delivery failures; nil means slog.Default().
	Logger *slog.Logger
	// UserAgent is sent with every request; "" means "enspace-sync".
	UserAgent string
}

// Event is the outcome of one run of a backup or a scheduled replication.
type Event struct {
	// Kind is "backup" (the default when empty) or "replication"; for a
	// replication, Workspace is the replication's name.
	Kind      string    `json:"kind"`
	Workspace string    `json:"workspace"`
	Status    string    `json:"status"` // complete, partial, failed, aborted; held for a replication not applied
	Snapshot  string    `json:"snapshot,omitempty"`
	Time      time.Time `json:"time"`
	// Summary is one line for a person: counts, changes, what failed.
	Summary string `json:"summary"`
	// Hint is the command to look into it or to restore what was lost.
	Hint string `json:"hint,omitempty"`
	// Error is the run's error ("" when it produced a snapshot).
	Error string `json:"error,omitempty"`
	// Anomalies are the drops the run flagged.
	Anomalies []string `json:"anomalies,omitempty"`
}

// Alert reports whether e goes to the webhook: a failed or partial run, a
// held replication, or a backup with anomalies. An aborted run (the daemon
// stopping) does not.
func (e Event) Alert() bool {
	return e.Status == "failed" || e.Status == "partial" || e.Status == "held" || len(e.Anomalies) > 0
}

func (e Event) kind() string {
	if e.Kind == "" {
		return "backup"
	}
	return e.Kind
}

// Text is the Slack-compatible message of e.
func (e Event) Text() string {
	var b strings.Builder
	what := e.kind() + " " + e.Status
	if len(e.Anomalies) > 0 && e.Status == "complete" {
		what = e.kind() + " complete with anomalies"
	}
	fmt.Fprintf(&b, "enspace-sync: %s: %s", e.Workspace, what)
	if e.Snapshot != "" {
		fmt.Fprintf(&b, " (snapshot %s)", e.Snapshot)
	}
	if e.Summary != "" {
		b.WriteString("\n" + e.Summary)
	}
	if e.Error != "" {
		b.WriteString("\nerror: " + e.Error)
	}
	for _, a := range e.Anomalies {
		b.WriteString("\nanomaly: " + a)
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	return b.String()
}

// Notifier delivers Events. It is safe for concurrent use.
type Notifier struct {
	opts Options
}

// New returns a Notifier; it checks nothing (the config has validated the URLs).
func New(opts Options) *Notifier {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "enspace-sync"
	}
	return &Notifier{opts: opts}
}

// Send delivers what e calls for: the webhook for an alert, the heartbeat
// for a complete backup. It returns the errors of deliveries that failed
// after every attempt (also logged); callers may ignore them.
func (n *Notifier) Send(ctx context.Context, e Event) error {
	var errs []error
	if n.opts.WebhookURL != "" && e.Alert() {
		body, err := json.Marshal(struct {
			Text string `json:"text"`
			Event
		}{e.Text(), e})
		if err != nil {
			return fmt.Errorf("encode the webhook body: %w", err)
		}
		errs = append(errs, n.deliver(ctx, "webhook", http.MethodPost, n.opts.WebhookURL, body, e.Workspace))
	}
	if n.opts.HeartbeatURL != "" && e.Status == "complete" && e.kind() == "backup" {
		errs = append(errs, n.deliver(ctx, "heartbeat", http.MethodGet, n.opts.HeartbeatURL, nil, e.Workspace))
	}
	return errors.Join(errs...)
}

// deliver tries one request up to Attempts times, through the retry loop
// the API client uses too (internal/retry), without jitter: one notifier
// is not a crowd of clients to spread out.
func (n *Notifier) deliver(ctx context.Context, what, method, rawURL string, body []byte, workspace string) error {
	log := n.opts.Logger.With("notification", what, "to", Where(rawURL), "workspace", workspace)
	p := retry.Policy{Attempts: n.opts.Attempts, Base: n.opts.Backoff, Max: max(maxWait, n.opts.Backoff),
		MaxRetryAfter: max(maxWait, n.opts.Backoff), Sleep: n.opts.Sleep,
		OnWait: func(attempt int, wait time.Duration, o retry.Outcome) {
			log.Warn("notification failed; retrying", "attempt", attempt, "wait", wait, "err", o.Err)
		}}
	err := p.Do(ctx, func(attempt int) retry.Outcome {
		o := n.attempt(ctx, method, rawURL, body)
		if o.Err == nil {
			log.Debug("notification sent", "attempt", attempt)
		}
		o.Retry = o.Retry && ctx.Err() == nil
		return o
	})
	if err == nil {
		return nil
	}
	log.Error("notification not delivered", "err", err)
	return fmt.Errorf("%s to %s: %w", what, Where(rawURL), err)
}

// attempt sends the request once; the outcome says whether another try may
// help, and after how long the endpoint asks to be called again.
func (n *Notifier) attempt(ctx context.Context, method, rawURL string, body []byte) retry.Outcome {
	retryable, after, err := n.send(ctx, method, rawURL, body)
	o := retry.Outcome{Err: err, Retry: retryable}
	o.RetryAfter, o.HasRetryAfter = retry.ParseRetryAfter(after, time.Now())
	return o
}

// send sends the request once; retry says whether another try may help and
// retryAfter is the answer's Retry-After header on a 429 or 503.
func (n *Notifier) send(ctx context.Context, method, rawURL string, body []byte) (retry bool, retryAfter string, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, r)
	if err != nil {
		return false, "", errors.New("invalid URL") // the error would quote the URL
	}
	req.Header.Set("User-Agent", n.opts.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		return true, "", scrub(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return false, "", nil
	}
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = resp.Header.Get("Retry-After")
	}
	return retry, retryAfter, fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
}

// scrub drops the URL that net/http puts in its errors, keeping the cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// Where names a URL for logs without its path, query or credentials:
// "https://hooks.slack.com".
func Where(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}
