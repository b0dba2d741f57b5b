// Package fakeapi is an in-memory Enspace server that follows the contract
// in enspace-api.md: the same routes (from api.Routes, so a test can move a
// path), the documented error bodies byte for byte, paging and counts,
// integration secrets accepted and never returned. It generates demo data
// deterministically from a seed and injects faults (latency, 429 and 5xx,
// reset or truncated bodies, HTML pages, rows shifting between pages, lost
// writes) whose decisions are reproducible from the seed, whatever the
// order in which concurrent requests arrive.
//
// Every later feature (backup, diff, restore, replicate, doctor, demo,
// soak tests, benchmarks) runs against it: tests through httptest, people
// through "enspace-sync fake-api".
//
// # Choices the contract leaves open
//
//   - Deleting a type removes its fields, items, forms, flows with their
//     stages and tasks, and schedule tasks. Role permissions whose entity is
//     the type's slug are left alone, as are relation fields of other types
//     and quick tasks that point at it: a new type has no permissions, and
//     a deleted one leaves dangling references, which is the disaster a
//     backup exists for. Renaming a type's slug follows it in relation
//     fields and quick tasks, not in permissions.
//   - Deleting a field hides its values in items; renaming one follows it
//     in the forms and schedule tasks of its type.
//   - Deletes answer {"success":true}. Adding a permission answers the
//     permission; adding or removing group users answers the group.
//   - "List Form Create" (GET /c-forms/create?type=) answers the active
//     fields of the type in position order: what a create form shows.
//   - Stats and deletion preview answer the same counts per kind (Counts):
//     deleting a workspace removes everything in it.
//   - A key reaches a workspace when the key allows its slug and the key's
//     owner is a member of it; leaving a workspace therefore ends access.
//     Only the owner may delete a workspace (403 otherwise) and the owner
//     cannot leave it (400).
//   - Items: values are checked against the field type (a relation value
//     must be an existing item of the target type); a required active field
//     must be present on create and cannot be set to null or "" later.
//     Field defaults are not applied: an item holds what was sent.
//   - Member v1_compatibility limits the type to full or standard, and a
//     full member then gets no role.
//   - The 404 message for an unknown path includes its query string, as
//     NestJS does ("Cannot GET /x?y=1").
//   - Server variants, each an Options field, play servers that answer
//     differently where the contract allows it or where real servers
//     stray: envelopes, no counts or counts answering a status, a page
//     cap, ignored paging, moved routes, NullEmptyLists (an empty page as
//     null, as a Go server marshals an empty slice), CountAs (counts and
//     totals as "3", what node-postgres answers for COUNT(*), or 3.0),
//     PastEnd "last-page" (a page past the last answered as the last page
//     again) and, with Faults.RetryAfterDate, a Date header on the
//     server's clock (Options.Now), which may run off the machine's.
//   - Wire variants (wire.go) reshape answers after the handler:
//     ExtraFields (a read-only "revision" on every top-level object, and
//     a write that sends it back refused 400 "property revision should
//     not exist", as NestJS's forbidNonWhitelisted), WritableExtra (a
//     writable "notes" on types, kept on create and update), OmitNulls (null
//     members left out), DeleteNoContent (204 with no body) and Gzip
//     (Content-Encoding: gzip when the request accepts it). The first two
//     decode and encode the answer again, so its keys come sorted.
//
// # Faults
//
// Faults apply only to requests that passed authentication, in this order:
// latency (with jitter); drift (item lists; another user's change, made
// whatever the request's own answer); FailRoutes; one draw split between
// 429, 5xx, HTML, reset and truncate; lost writes (writes the handler
// accepted). A write hit by a reset or a truncated body has been applied, like
// a lost write: only its answer is broken. A 502 comes with a proxy's HTML
// page, as from a real gateway. RequestCounts.ByStatus counts a write
// dropped without an answer under status 0.
//
// A 429 or 503 with Retry-After notes, for its request line (method, path
// and query) and key, when the wait ends on the server's clock (Options.Now);
// the same line and key arriving before then counts in
// RequestCounts.EarlyRetries, so a test can prove that a client never
// retries before Retry-After ran out.
//
// # Shuffled lists
//
// With Options.ShuffleLists, the lists whose order the API does not promise
// come in a new order on every request: a role's permissions, a group's
// users, the assignees of quick tasks and of tasks (also inside stages),
// and the rows of each list page (the same rows as unshuffled, in another
// order). The order follows the seed and the count of the request line,
// like fault decisions, and a list of two or more elements is never left
// in its stored order.
//
// # Caveats
//
// Everything lives in memory and is lost when the server stops. Items are
// kept compact (about 125 bytes each, see TestMemoryPerItem and
// BenchmarkGenerate) so a million fit in about 150 MB of heap. Request logs keep the newest 1,000 entries
// per key. The fake never checks role permissions of members: every key
// acts with its owner's full rights, limited only by the key's scopes.
package fakeapi
