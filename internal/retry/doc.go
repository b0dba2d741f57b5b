// Package retry is the one retry loop of enspace-sync, shared by the API
// client (internal/api) and the notifications (internal/notify): capped
// exponential backoff, optional full jitter, the server's Retry-After
// honoured up to a limit, and an injected sleep so that tests never wait.
// It imports nothing of the project and knows nothing of HTTP beyond the
// Retry-After header's syntax.
//
// The callers keep what differs between them, in the function they give
// Do: which failures are worth another attempt (the client repeats a create
// only when the server certainly did not act on it; a webhook's 4xx is
// final), what to count and what to log. The policy, the only thing the two
// had written twice, lives here.
//
// Caveats: Do does not bound the total time; the caller's context does.
// Without Policy.Rand there is no jitter: right for one notifier, wrong for
// many clients of one server, which is why the API client passes one.
package retry
