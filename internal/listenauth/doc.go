// Package listenauth guards the daemon's HTTP listener: who may reach
// which endpoint, by which name, and with which proof.
//
// Proofs. The listener has one bearer token, a random secret the daemon
// keeps in a file of mode 0600 beside its database (listen.token) or in
// the config's listen_token_file. Whoever can read that file (root and the
// service's user) can use the listener; everyone else gets 401. The token
// travels in an Authorization: Bearer header, compared in constant time.
// A browser cannot be given a header, so it logs in once: a request with
// the token asks for a one-time login URL (LoginURL: short-lived, single
// use); opening it (HandleLogin) swaps it for a session cookie (HttpOnly,
// SameSite=Strict) and redirects to the dashboard at /. Sessions live in
// memory: a restart logs every browser out.
//
// State changes. A request that changes state (any method but GET, HEAD
// and OPTIONS) authenticated by the session cookie alone must also carry
// the session's CSRF token, in the csrf_token form field or the
// X-CSRF-Token header; a cookie is never enough on its own. A mounted UI
// puts CSRFToken(r) in its forms. The bearer header needs no CSRF token: a
// browser never adds it by itself.
//
// Names. Every request, even to the open endpoints, must name the
// listener by its address, localhost, the address it arrived at, or a
// name the config lists (listen_hosts); others get 421 Misdirected
// Request. This defeats DNS rebinding, where a web page's own name is
// pointed at 127.0.0.1 to read the listener from the victim's browser.
//
// Levels. Open serves without proof (/healthz, /readyz, /login); Metrics
// serves without proof on a connection that arrived at a loopback address
// and wants the token elsewhere (a unix socket included); Token wants the
// bearer token itself; Protect takes the token or a session.
//
// Caveats: the listener speaks plain HTTP, so the session cookie is not
// marked Secure and a token sent to a non-loopback address crosses the
// network in clear; put a TLS proxy in front for that. The token file's
// mode is checked, not its owner: the directory it lives in must keep
// others out (systemd's StateDirectory= does).
package listenauth
