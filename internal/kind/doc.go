// Package kind is the table of Enspace resource kinds, as data: every
// behaviour that differs by resource is a column of one entry here, and
// adding a resource kind is one entry in table.go.
//
// The columns cover what each layer needs: routes and parent scoping for
// the API client and backup; labels, server-assigned fields and unordered
// list paths for diff; references (from which ApplyOrder derives the order
// of a restore), natural keys, secrets, embedded collections and body
// shapes (View, CreateBody, UpdateBody) for restore and replicate; the
// class and the Prunable column for replicate; the selector prefix for
// selectors; the known top-level fields for doctor, and for restore to
// compare (it writes the others as well).
//
// The package imports nothing of the project: every other package may
// import it, and it never learns about HTTP, bbolt or plans.
//
// # Decisions
//
// Secrets: the contract documents that integration secrets are never
// returned, and the table lists those of the documented providers
// (Certisign's token, Sendgrid's api_key). A server may still answer a
// secret of another provider with a mask; Masked recognises one (a run of
// three or more '*' or '•' with at most four visible characters around
// it), and the integration view drops masked values, so that restore and
// replicate never send a mask back and ask the operator for the key. A
// real value that looks like a mask ("***") is taken for one: the
// operator is asked for it, which costs a manual step, never a wrong
// write.
//
// Groups are of class People (they hold members), yet replicate has always
// copied them with the configuration (they are what tasks are assigned
// to). The entry says so with ReplicateWithConfiguration: Class answers
// "what is it", ReplicateWithConfiguration "when is it copied", and
// Replicated(false) returns exactly the configuration kinds replicate
// compares by default.
//
// ApplyOrder is a topological sort (Kahn's algorithm) of the kinds and of
// their passes over Parent and Refs. A reference inside an embedded
// collection (Sub) belongs to that collection's pass, a reference to the
// kind itself to its links pass (written once every object exists), and a
// conditional reference (Ref.When) to the kind's second pass. Among the
// nodes ready at the same time the sort picks, in this order: kinds
// without ApplyLast, then the lower ApplyRank, then the earlier kind in
// the table; a pass follows its kind at once. ApplyRank keeps the levels
// plans had before the order was derived (integrations first, items after
// configuration and people), so that saved plans and their levels are
// unchanged; a new kind needs no rank.
//
// # Caveats
//
// Name is an alias of string, on purpose. Kind names travel as strings
// through snapshot collection names, maps keyed by kind in stored records,
// JSON and selectors; a defined type would need a conversion at each of
// those edges, and would still not catch what matters: Go converts an
// untyped constant, so `name == "items"` compiles against a defined type
// too. What keeps kind names in this table is a test instead:
// internal/archtest's TestNoBareKindNames fails on any comparison (==, !=,
// case) with a kind name written as a string literal outside this package
// and the fake server's data, tests included. The constants here are the
// only spelling of kind names in comparisons.
//
// Register adds entries to the table for tests (and for trying a future
// kind before it is written in table.go); it is not safe to call while
// other goroutines read the table.
package kind
