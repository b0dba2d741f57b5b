// Package api is the HTTP client of the Enspace API (see enspace-api.md):
// the table of resource kinds (Kinds), the table of routes (DefaultRoutes),
// the typed error of non-2xx answers (*Error), the filed form of an object
// (Object), and Client, which sends requests, retries them, pages through
// lists and keeps to a shared concurrency cap and rate limit. It knows HTTP
// and JSON, nothing of storage.
//
// # Requests
//
// Every request carries x-api-key, Accept and User-Agent; workspace routes
// also en-workspace, and a request with a body Content-Type. Each attempt
// holds one slot of the client's limiter (Concurrency requests in flight,
// RequestsPerSecond) from sending to reading the last byte, and runs under
// Timeout. The rate is a spacing with no burst: requests start at least
// 1/RequestsPerSecond apart, so no second holds more than
// ceil(RequestsPerSecond) of them. An answer is read through a limit; a body over MaxResponseBytes
// fails with ErrTooLarge. Any 2xx is a success; any other status becomes an
// *Error.
//
// # Retries
//
// Retried, up to MaxAttempts attempts: 408, 429, every 5xx except 501 and
// 505 (507, and the 52x and 529 of proxies and CDNs, are as transient as
// 502), resets, bodies cut short, timeouts, and a 2xx body that is not JSON
// (at most three times, then ErrInvalidBody). Never retried: other
// statuses, TLS and certificate errors, a host that does not exist,
// ErrTooLarge, a refused redirect, and the caller's context ending. The
// wait before retry n (counting from 0) is random in [0, min(BackoffMax,
// BackoffBase*2^n)]; on a retried status with Retry-After (seconds or an
// HTTP date; the contract names 429 and 503) it is at least the
// server's delay (a date is measured against the answer's Date header, the
// server's clock, so a server whose clock is off from ours still gets the
// wait it asked for; against the local clock when there is no Date), and
// the Retry-After pauses the whole client (the
// environment): no new request of any goroutine is sent before it runs out,
// while requests already in flight finish. Clients built with the same
// Options.Pause (internal/app gives one to every client of a server) share
// the pause, and each keeps its own concurrency cap and rate. A pause is logged once at info
// level, counted in RequestStats.Pauses and PausedFor, reported to
// Options.OnPause, and readable from Client.PausedUntil. The slot is given
// back while waiting. The loop and the
// backoff are internal/retry's, shared with the notifications; this package
// decides what is worth another attempt.
//
// # Listing
//
// List asks the count route first; with a count it fetches the counted pages
// in parallel and then follows on while pages come back full, without one it
// pages until a short page. The counted pages are taken in order by a fixed
// set of goroutines, as many as the concurrency allows: a goroutine a page
// grew a fresh stack to a request's depth for each of a 100,000-item
// backup's 1,023 pages (copystack, 2.5% of the program's CPU profile;
// 1.0% after). It de-duplicates by id, stops on a page that
// repeats its neighbour (with ErrRepeatedPage, except the page after a
// full one answered as that page again, which a server that clamps the
// page number sends past the end: that ends the listing, and for a repeat
// of page 1 only once pages 1 and 2 of half the size hold different rows,
// which a server that ignores "page" does not), and reports drift when
// the count moved. Such a repeat is complete only when a count or an
// envelope's total confirms it (the listing is settled against it): a
// server that clamps the page number at a maximum result window repeats
// its last allowed page while rows remain, so without a count the listing
// ends there with ErrUnconfirmedEnd and Drift (the backup stores the kind
// as partial). The probe for a page cap ends on such a repeat the same
// way. When the
// collection moved while it was paged (the count changed, the listing does
// not hold the count, or rows came twice), its pages are read once more:
// offset paging skips a row when a row behind the offset goes away, and
// the second pass finds most such rows. That costs a second pass only for
// collections that change during the backup. A listing that then holds
// fewer objects than its count before and its count after paging fails
// with ErrShortListing (the backup stores the kind as partial): rows went
// missing, whether the server dropped them or the data moved. An
// envelope's total is a count, the first page's before paging and the
// last page's after.
//
// Without a count route, a listing whose rows came on more than one page
// is read once more from the first page (recheck): nothing else tells a
// row that offset paging skipped, and an envelope's total does not either
// when rows were deleted and as many added while it paged. Offset paging
// skips a row only when a row before it went away or moved: rows the
// second pass finds between rows the first had listed, when a row of the
// first pass is missing from the second or the first pass's rows come in
// another order, may have been skipped: the listing keeps them (both
// passes' rows are kept) and fails with ErrShortListing ("reading them
// again found 3 rows between rows already listed"), so the backup stores
// the kind as partial and diff never reports a skipped row as deleted.
// When every row of the first pass comes again, in its order, rows found
// between them were inserted while the listing paged (other users adding
// rows, a table read without ORDER BY): kept, no error, no drift. So are
// rows found only before the first or after the last row listed before
// (items created during the backup). A volatile kind (the request log:
// a row for every request, ours included, and a server keeps only its
// latest rows, so rows leave at one end while others come at the other)
// is not read again: no second pass makes it consistent, and it is never
// restored; it is listed once, as it stands. The
// pass costs one request per page of the listing (plus the empty page
// that ends a listing whose last page was full), and only for listings
// of several pages, with an envelope's total as well, even when the total
// did not move and the listing holds it without duplicates: a deletion
// behind the offset and an addition at the end between the same two page
// requests leave all of that unchanged with a row skipped (1 of 8 seeds of
// fake-api --rate-drift 0.5 --no-count --envelope), and only reading again
// tells. A backup of the demo workspace against a server
// without count routes sends 36 to 41 requests instead of 35 to 37, and
// with 1,000 items a type 96 to 99 instead of 63 to 64 (fake-api
// --no-count, three runs each). Against the fake with --rate-drift 0.5
// --no-count --items 350, 5 seeds of 5 used to store complete snapshots
// missing rows that existed throughout (with --envelope as well); the
// listings now end partial, and at --rate-drift 0.1 no complete snapshot
// of 16 misses a row.
//
// A server that ignores "page" fails the listing with ErrPagingIgnored
// ("the server ignores page/limit on request-logs.list ..."): on the
// first pass of a listing paged one by one, two pages in a row after the
// first whose rows came mostly (more than half) from page 1
// (ignoresPaging). Such a server answers its first rows again (shifted by
// a few when the collection gains or loses rows at an end); one such page
// can be a burst of rows added at the top, and one row of page 1 further
// down is a row that moved (edited in a list sorted by update). A page
// that repeats the trailing rows of the page before is offset shifting (rows added at the top of a newest-first
// listing while it pages, one per request of a busy backup against the
// request log) and passes however many rows it repeats. Against a
// collection that grows with every request no two answers are the same
// page, and without this rule a backup sent 18,698 pages in a minute.
// The answer is not taken as the whole list even when it is the first:
// a server that ignores "page" may still cut its answer at a maximum of
// its own, and nothing tells that from the whole collection. A page
// longer than asked is a server that ignores "limit" (serving, say, the
// contract's default 20 where 10 were asked): the listing adopts that
// size and goes on by page number; if "page" is ignored too, the next
// pages are page 1 again and the rule above ends it.
//
// A count route that answers 400, 404, 405, 422 or 501 has no count there
// (NoCountStatus): the kind is listed without one, and the first such
// answer of each route is logged as a warning with the setting that
// switches the route off ("items.count: none", Route.Off). Other errors of
// a count route fail the listing. The list and get routes of a kind the API
// cannot write, with nothing writable below it (IsUnwritableReadRoute:
// schedule tasks, forms, stats, API keys, request logs), may be switched
// off too, for a server without them: List and Get of the kind then fail
// with ErrRouteOff, and internal/backup leaves the kind out as if excluded.
//
// A list answered as JSON null, bare or under the envelope's key, is an
// empty list (the contract's section 6: null and absent are the same
// value; a Go server marshals an empty slice so), as long as the envelope
// holds nothing else than the total and paging keys: a null list beside
// error, errors, message or statusCode, beside a list key holding no
// array, or beside any other key is ErrInvalidBody, so that an error
// reported in a 200 answer never reads as an empty collection. An
// envelope that leaves the list's key out (a server that omits null
// members) is read as one holding null when it has a total's key (total,
// count or meta) and nothing but paging keys beside it: {"total": 0} is
// an empty page, {"total": 5} an empty page short of its total; an
// object without a total's key, or with any other key, stays
// ErrInvalidBody. A count or a total is an
// integral JSON number however spelled (3, 3.0, 3e0) or a string of
// decimal digits ("3", node-postgres's COUNT(*)); a 2xx count answer or a
// total that is neither (2.5, -1, "many", an object without "count") is
// logged once per route as a warning and the kind is listed without a
// count, as for a route without one.
//
// Without a count a short page is the last, with one exception: a listing
// whose first page is shorter than asked, but holds at least 10 objects,
// may have been cut by a page cap (a server that honours "limit" only up
// to 50, or ignores it and serves its default 20). It is probed: the next
// pages are asked with the size the server gave, until one is shorter,
// empty, or brings no new id; when a page of that size came back full with
// new objects, and the first page, asked again at the size wanted, comes
// back no longer (rows added while the listing paged are no cap: one
// request more, once a client learns a cap), the client asks for that size
// from then on. No probe follows a first page of fewer than 10
// objects (no server caps that low), nor one smaller than a page the same
// route already answered (its cap, if any, is higher). Probing every short
// listing instead cost 52 to 61 requests for a backup of the demo workspace
// (against 41), and against a request log that grows with every request, a
// first page of one row paged one row at a time for 1,000 requests. As
// built, a backup of the demo workspace (TestRunRequests in
// internal/backup, four runs each, against the build before) sends 41 to
// 42 requests (41 before; the request log, which grows while it is read,
// is probed when its first page holds 10 rows or more); with no count routes
// 35 (34 to 36 in the first runs; 34 before: the items of a type are
// probed unless a larger page of items came first); against a server
// capping pages at 50, 44 to 48 (44); against a server without counts
// serving 20 rows a page, 46 to 47 requests that store all 270 items (33
// before, which stored 60 and called the snapshot complete). The second
// pass over a collection that moved while it was paged is not in these
// figures: it costs one more listing of that collection. Nor is the second
// pass of every listing of several pages without a count route, added
// since (see above): with no count routes the demo backup now sends 36 to
// 41 requests, and the counted one 41 to 44 (the request log, once it
// spans two probed pages). The confirmation of a cap (keepCap: page 1
// asked again before a smaller size is kept) costs a request for each
// listing that finds the cap, several at once in a backup: against a
// server capping pages at 50 the demo backup sends 47 to 48 requests
// (44 to 45 without it), and against one without counts serving 20 rows
// a page, 64 to 69 (62 to 63); the others are unchanged (TestRunRequests,
// three or four runs each).
//
// A page that is a bare array of objects (the common answer) is read once
// (splitSummed): each element is canonicalised by a jsonv.Canonicalizer,
// which checks it as jsonv.Valid would (an element already in canonical
// form, sorted keys and no whitespace or escapes, is checked and copied
// as it is, not rewritten, unless it is one of the 15 elements that a
// pooled splitter reads after one that failed the check: those are
// canonicalised without it; the fake's items, in the API's field order,
// never pass it), hashed (Object.Sum, the SHA-256 of
// its canonical form: the store's address, so the store does not
// canonicalise it again), sliced out of the body without a copy, and filed
// by the id and key fields read on the way. That one pass replaced four:
// jsonv.Valid over the body, a scan cutting it into elements, one reading
// each element's id, and the store's canonical form and hash; it runs in
// the fetching goroutine after the request slot is given back. Any other
// answer (an envelope, an element that is not an object, invalid JSON)
// is checked with jsonv.Valid and decoded element by element, which
// explains what is wrong (FuzzSplitSummed: the one pass accepts only
// what the general path accepts, with the same elements and ids).
// Measured as the CPU time (perf stat task-clock) of `go test ./internal/app
// -bench FirstBackupCPU -benchtime 3x` (four first backups of 100,002
// items, the fake in the same process), five runs alternated with the
// build before, load 8: median 5.26 s against 5.90 s, 11% less, about
// 0.16 CPU-s a backup. cmd/bench's child process, under load 5-14,
// moves by more than that from run to run (1.37-1.92 s against
// 1.45-1.78 s in eight alternated pairs). In the program's profile the
// page pass is 13% of its CPU: 8 points the canonical form, 3.4 the
// SHA-256. The ids seen are
// kept in an idset.Set: a listing of 333,334 items holds 0.4 bytes an id
// instead of 28 in a map, and a 1,000,002-item first backup's peak
// anonymous memory went from 119-123 to 68-72 MiB (cmd/bench).
//
// # Caveats
//
//   - A create (POST, PATCH) is repeated only when the server certainly did
//     not act on it (429, 503 with Retry-After, connection refused). After
//     a timeout, a cut body, a 408, a 503 without Retry-After (a gateway
//     that gave up while the server went on) or another 5xx the object may
//     exist: the caller must look it up by its natural key before sending
//     it again.
//   - A Retry-After longer than MaxRetryAfter ends the retries with the
//     *Error instead of coming back early; it still pauses the client, for
//     MaxRetryAfter.
//   - Offset paging skips rows when rows are deleted while it runs. The
//     second count and ListResult.Drift tell, and the second pass finds
//     most of them; a row skipped by both passes goes unnoticed when as
//     many rows were added as deleted and the listing holds its count
//     (TestRunDriftSkipsRows in internal/backup leaves out the seeds where
//     that happens). Without a count route every listing of several
//     pages gets the second pass, and a row it finds skipped makes the
//     listing fail; a row skipped by both passes still goes unnoticed, as
//     does a skipped row that was alone on the last page (the second pass
//     finds it after every row listed, where rows added come), and a row
//     moved to either end of the order while paging (a listing sorted by
//     update time) is taken for one added.
//   - A server that silently clamps "limit" below PageSize makes a page look
//     like the last. With a count, List notices the shortfall, goes on with
//     the size the server honoured and keeps that size for the client's
//     later listings (Client.PageSize) once the first page, asked again,
//     comes back no longer (rows deleted and added meanwhile are no cap;
//     a failed confirmation keeps nothing and fails nothing); a listing still short of a stable
//     count fails with ErrShortListing. Without a count, the probe above
//     finds caps of 10 rows or more; a smaller cap goes unnoticed, and a
//     row dropped from a later page (not the first) ends the listing
//     there: set page_size to the server's cap (the doctor command finds
//     it), and prefer servers with counts.
//   - The key never appears in an error, a log line or a printout of a
//     Client or Options: errors quote no header, error text the server
//     sends is redacted, redirects to another host are refused, and a 2xx
//     body that holds the key is refused (ErrInvalidBody) rather than
//     handed on to be stored, whether or not it is JSON. Any other 2xx
//     body is returned byte for byte. The search (keyscan.go) finds what
//     bytes.Contains finds, skipping through the body by a table of the
//     key's two-byte sequences: bytes.Contains stopped at every byte equal
//     to the key's first ("e" of "en.…"), 3% of a first backup's CPU;
//     BenchmarkKeyScan, a 37 KB page of the fake's items, 15-17 µs against
//     51-62 µs (load 11). It runs after the page's one pass, while the
//     page is in the cache.
package api
