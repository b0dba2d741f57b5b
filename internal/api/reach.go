package api

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Unreachable reports whether err says the request never got an answer
// from the server: the connection was refused or reset before an answer,
// the host name does not resolve, the TLS handshake failed, or connecting
// timed out. A backup that meets it before reading anything fails at once
// instead of storing an empty partial snapshot (see internal/backup).
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if StatusOf(err) != 0 {
		return false // the server answered
	}
	if isTLSError(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return false
}

// Cause names, in a few words an admin can search for, why a request
// found no server: "connection refused", "host not found", "TLS handshake
// failed: ...", "timed out". It returns err's text for other errors.
func Cause(err error) string {
	var dns *net.DNSError
	var verify *tls.CertificateVerificationError
	var timeout net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns) && dns.IsNotFound:
		return "host not found (DNS): " + dns.Name
	case errors.As(err, &dns):
		return "DNS lookup failed: " + dns.Err
	case errors.As(err, &verify):
		return "TLS certificate not trusted: " + verify.Err.Error()
	case isTLSError(err):
		return "TLS handshake failed: " + innermost(err).Error()
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return "timed out"
	}
	return err.Error()
}

// innermost unwraps err down to its last single cause.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// waveWarner logs one warning per retry wave while the server cannot be
// reached: the requests that run at the same time fail and wait together,
// so one line per attempt number is enough to say that the client is
// retrying, and never silent. A request that gets an answer starts over.
type waveWarner struct {
	mu     sync.Mutex
	warned int // the highest attempt number warned about
}

// wait reports whether the wait before attempt+1 of an unreachable
// request deserves a warning.
func (w *waveWarner) wait(attempt int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if attempt <= w.warned {
		return false
	}
	w.warned = attempt
	return true
}

// answered resets the waves after an answer from the server.
func (w *waveWarner) answered() {
	w.mu.Lock()
	w.warned = 0
	w.mu.Unlock()
}

// warnUnreachable logs the wave's warning for a request that found no
// server, with the base URL and the cause, never the key.
func (c *Client) warnUnreachable(attempt, attempts int, wait time.Duration, err error) {
	if !Unreachable(err) || !c.waves.wait(attempt) {
		return
	}
	c.log.Warn("api unreachable: retrying", "url", c.base, "cause", Cause(err),
		"attempt", attempt, "of", attempts, "wait", wait.Round(time.Millisecond))
}

// BaseURL returns the API root the client talks to, for messages.
func (c *Client) BaseURL() string { return c.base }
