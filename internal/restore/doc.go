// Package restore plans and applies the writes that bring objects into a
// workspace: restore (objects of a snapshot back into the same or another
// workspace) and replicate (configuration, and optionally data, from one
// workspace to another). Both build a Plan, a value that can be printed,
// saved as JSON and applied later, and apply it with one Engine.
//
// # Planning
//
// Build compares the source objects with the target's current objects.
// Each source object is matched with a target object, in this order:
//
//  1. the id map (source id → target id, written by earlier applies);
//  2. the same id, when source and target are the same workspace;
//  3. the natural key of the kind table (a type's slug, a field's slug in
//     its type, a role's slug, a group's name, a member's e-mail, an
//     integration's provider).
//
// Items and quick tasks have no natural key: only the id map (or the same
// id) matches them, so restoring them twice does not duplicate them as
// long as the id map is kept. Then each object gets one action: create,
// update, skip (equal once references are translated), manual (the API
// cannot write it: flows, stages, forms, schedule tasks, the owner, an
// integration whose secret the operator has not configured, an
// integration that differs, as integrations have no update) or delete
// (replicate --prune only).
//
// Steps are ordered in levels by the references of the kind table:
// integrations, types, plain fields, relation fields, roles, permissions,
// member groups, members, group membership, items, item relation values
// (a second pass, so cycles between items lose nothing), tasks and quick
// tasks, then deletions. An item's create carries every relation value
// whose item the target has or an earlier level creates; the types whose
// items are created are ordered by their required relation fields, so that
// required values point backwards (see itemOrder), and the links pass sets
// only the rest. A relation value whose item the target lacks when the
// step runs is left out of the write, never sent as null: the target keeps
// what it had, and the step's result says so.
//
// # Applying
//
// The Engine applies the steps of one level at a time, up to Concurrency
// at once. Before a create is sent its id map entry is marked pending;
// right after it succeeds the new id is written. A create whose answer is
// lost (a timeout or a 5xx after the server may have acted), or one left
// pending by a process that died, is looked up in the target before it is
// sent again: by natural key, or, for items and quick tasks, by content
// (an object of the same parent whose written fields are all equal and
// that no other source object is mapped to). References (relation values,
// a member's role, a group's users, a task's assignees, a quick task's
// item) are translated through the id map when a step is sent.
//
// Integration secrets are never in a snapshot (the API never returns
// them): they come from the target environment's configuration, and the
// plan says where from; data.environment follows the target.
//
// A plan records a fingerprint of the target objects it was built from;
// applying a saved plan re-reads the target and refuses when the
// fingerprint changed.
//
// The package knows the kind table and the client's write routes; it
// knows nothing of bbolt (the id map is an interface that the snapshot
// store implements) or of the command line.
package restore
