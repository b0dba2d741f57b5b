// Package s3fault is a test-only HTTP proxy that sits between an S3 client
// and an S3-compatible server (SeaweedFS in CI, any endpoint on a
// developer's machine) and breaks chosen requests the way object storage
// and networks break them:
//
//   - SlowDown: answers 503 with the XML error body S3 sends when a prefix
//     is overloaded (code SlowDown), without forwarding the request.
//   - Reset: resets the client's connection (TCP RST) before forwarding:
//     the server never saw the request.
//   - LoseAnswer: forwards the request, lets the server act on it, then
//     resets the client's connection instead of relaying the answer: the
//     write happened but the client cannot know.
//   - Truncate: forwards the request with its body cut after half of its
//     declared length, then closes the server connection mid-body and
//     resets the client's: a truncated upload that the server must not
//     store.
//   - Stall: holds the request until the client goes away or the proxy
//     closes; Stalled announces it, so that a test can SIGKILL a push at a
//     chosen request ("halfway") without guessing with timers.
//
// A Rule picks the fault of each request from its sequence number, method
// and path; Nth, Every, Random, Only, OnPath, Where and First build the
// usual ones. The proxy counts requests per method and per fault, and the
// request-body bytes it delivered to the server, so a test can say how
// many bytes a push really uploaded.
//
// The proxy keeps the client's Host header and adds no X-Forwarded-*
// header: S3's signature (SigV4) covers the Host, so the server must see the
// address the client signed. Requests are otherwise relayed as they are
// (httputil.ReverseProxy), the body streamed.
//
// Caveats: it speaks plain HTTP to the client (tests use http:// endpoints);
// a Rule runs on the proxy's goroutines and must be safe for concurrent use
// (the ones here are). It imports nothing of the project.
package s3fault
