// Package backup walks one Enspace workspace into a snapshot.
//
// The walker visits the kinds of kind.All() in order. Workspace-level kinds
// are listed directly; kinds with a parent (fields, items, forms and flows
// under each type, stages under flows, tasks under stages) are listed once
// per parent object, started as soon as a page brings that object (before
// the parent's listing has checked its count again). Every listing runs
// through one api client, whose
// limiter caps concurrency and request rate for the whole run, so several
// collections are listed at once without one huge type starving the rest.
// Pages stream into the snapshot writer as they arrive: memory does not grow
// with the size of the workspace.
//
// Failure rules, from RELIABILITY.md:
//   - a kind whose listing fails after the client's retries is marked failed
//     in the writer, which makes the snapshot partial; the walk goes on with
//     the other kinds. Children of a failed parent are failed too, with an
//     error that says so (whatever was read below the parent's objects that
//     did arrive is kept): a failed listing never looks like a deletion;
//   - a kind whose list (or get) route the config switched off
//     (api.ErrRouteOff: only kinds the API cannot write) is left out as if
//     excluded, named in Result.NotRead and logged once at info level: it
//     is neither counted nor failed, and the snapshot stays complete;
//   - 401 and 403 end the whole run at once (the key is wrong or lacks
//     access: every other request would fail the same way), except a 403
//     on the user-level kinds (api-keys, request-logs), which need a key
//     with global scope: only that kind fails, with an error that says so;
//   - a cancelled context ends the run; the caller aborts the writer.
//
// Objects the client hashed while it checked their page (api.Object.Sum)
// go to a SummedSink's PutSum, so the store files them without
// canonicalising and hashing them again, and keeps their bytes, slices of
// the page the client read, without a copy (the copy into a fresh buffer
// each and its allocation were 4.5% of a first backup's CPU); others go
// to Put. When the sink copies (a CopyingSink: the program's store, which
// copies each object into chunks it uses again batch after batch) and the
// source lends (api.Client.ListLent), the walker lists with ListLent and
// files with PutSumCopy: the client then reads its pages into buffers it
// uses again instead of a fresh one a page, which the store kept until
// the page's objects were written (36% of a first backup's allocation).
//
// Caveats: listings of parent kinds (types, flows, stages) do not take one
// of the Collections slots, since everything else waits for them; there is
// one per type and per flow. Items are never kept in memory.
package backup
