package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"
)

// maxInvalidBodies is how many 2xx answers that are not JSON (most likely
// cut short) a request tolerates before it fails with ErrInvalidBody.
const maxInvalidBodies = 3

// failure is one failed attempt: the error to return if it stays the last
// one, and whether and when another attempt may follow.
type failure struct {
	err   error
	retry bool
	// unprocessed is true when the server certainly did not act on the
	// request (429, 503 with Retry-After, connection refused), so that
	// even a create may be sent again. A 503 without Retry-After may come
	// from a gateway that timed out while the server went on with the
	// request: it is a lost answer, like a 500.
	unprocessed bool
	// retryAfter is the server's Retry-After, when it sent one.
	retryAfter    time.Duration
	hasRetryAfter bool
	invalidBody   bool
}

// retryableStatus reports whether an answer with this status is worth
// another attempt: 408 Request Timeout, 429 Too Many Requests, and every
// 5xx except 501 Not Implemented and 505 HTTP Version Not Supported, which
// say the request can never succeed. The other 5xx are transient whatever
// their number: 507 Insufficient Storage, and the codes of proxies and
// CDNs in front of a server (Cloudflare's 520 to 527, 529 Site
// Overloaded, 598 and 599 of others).
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code <= 599
}

// idempotent reports whether sending a request twice has the effect of
// sending it once. Other requests (creates) are repeated only when the
// server certainly did not act on them: a create whose answer was lost must
// be looked up, not sent again.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryableTransport reports whether an error from sending a request or
// reading its answer is worth another attempt: resets, cut-off bodies,
// refused connections and the like are; TLS and certificate errors, a host
// that does not exist, a refused redirect and a body over the limit are not.
func retryableTransport(err error) bool {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, errRedirect) ||
		errors.Is(err, context.Canceled) || isTLSError(err) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	return true
}

// isTLSError reports whether err comes from the TLS handshake or from
// verifying the server's certificate.
func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || errors.As(err, &alert)
}

// refused reports whether a connection was refused, so the request never
// reached the server.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
