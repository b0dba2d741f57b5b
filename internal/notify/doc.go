// Package notify tells the outside world about the daemon's backups: a
// webhook (a JSON POST with a Slack-compatible "text" field) after a failed,
// partial or anomalous backup, and a heartbeat (a GET) after each successful
// one, for a dead man's switch.
//
// Delivery is never fatal: an attempt that fails (a transport error, a
// timeout, a status outside 2xx) is retried with exponential backoff (capped
// at a minute, without jitter, at least the endpoint's Retry-After on 429
// and 503; a Retry-After over a minute ends the delivery), and once the
// attempts are spent the failure is logged and dropped. The loop is
// internal/retry's, the one the API client uses; this package decides only
// what is worth another attempt. The sleep between attempts is injected, so
// tests never wait.
//
// The URLs are secrets (a Slack webhook embeds its token in the path, others
// in the query): logs and errors name only the URL's scheme and host.
//
// Caveats: a 4xx answer other than 408 and 429 is not retried (the URL or
// body is wrong, and repeating it cannot help). Delivery happens in the
// caller's goroutine; the daemon calls Send after a run has ended, so a slow
// endpoint delays only the next run's bookkeeping, bounded by Timeout times
// Attempts plus the backoff.
package notify
