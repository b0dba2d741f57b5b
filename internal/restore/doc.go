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
// long as the id map is kept. An id map entry whose target object is
// gone (restored once, then deleted again) is stale: the plan records it
// (Plan.Stale) and creates the object anew; the engine ignores such an
// entry while it still holds that id, and the create replaces it. Then each object gets one action: create,
// update, skip (equal once references are translated), manual (the API
// cannot write it: flows, stages, forms, schedule tasks, the owner, an
// integration whose secret the operator has not configured, an
// integration that differs, as integrations have no update) or delete
// (replicate --prune only).
//
// What is written of an object is its view: every field but the
// server-assigned ones, secrets and embedded collections, the fields a
// server has beyond the contract included (they may be writable: a create
// brings back everything the snapshot held). What is compared (planning,
// the check of a write's answer, the lookup of a lost create) is the view
// with only the top-level fields the contract names for its kind
// (kind.Kind.Known, compareView): a field beyond the contract may be
// read-only and differ between an object and its copy (a revision), so an
// object that differs only there is not updated. A write the server
// refuses with 400 for properties that "should not exist" (NestJS's
// forbidNonWhitelisted), all of them top-level fields the contract does
// not name for the kind, is sent again without them; they are left out of
// the kind's later writes on the same route (its creates, or its
// updates) in the apply and recorded in Plan.RefusedFields,
// which the apply reports (see refusedfields.go). A refused property the
// contract names fails the step, as does one of a kind whose writes have
// a shape of their own (kind.Kind.View: items, members, integrations,
// whose top-level fields beyond the contract are neither written nor
// compared) or one of a nested object ("settings.property x should not
// exist").
//
// Steps are ordered in levels by the references of the kind table:
// integrations, types, plain fields, relation fields, roles, permissions,
// member groups, members, group membership, items, item relation values
// (a second pass, so cycles between items lose nothing), tasks and quick
// tasks, then deletions. An item's create carries every relation value
// whose item the target has or an earlier level creates; the types whose
// items are created are ordered by their required relation fields, so that
// required values point backwards (see itemOrder), and the links pass sets
// only the rest. A server may replace an item's data on update rather than
// merge it (the contract, section 6), so every item update and links step
// sends the whole data the item should end with: an update (run after
// every item create) carries each relation value of the source through
// the id map, and a links step the item's data with all its relation
// values. A relation value whose item the target lacks when the step runs
// is never sent as null: the target's own value (Step.Held, when the item
// it names is in the target) is sent in its place, or the field is left
// out, and the step's result says so. The answer is checked against all
// that was sent, relation values included, so a value the server lost is
// reported, never "done".
//
// # Reading in proportion to the selection
//
// A plan reads what its selection can change or reference, not whole
// workspaces: restoring one item of a workspace of a million reads a few
// objects and sends a few requests. What makes that sound is how objects
// are matched: items (the volume of a workspace) have no natural key, so
// an item is matched only through the id map or, in the same workspace,
// its own id. A source item outside the selection is needed only for the
// id its references carry, and a target item only when one of those ids
// names it. So:
//
//   - the source (a snapshot) is read whole for its configuration (types,
//     fields, roles, members, groups, processes, integrations: what
//     references resolve through, small next to the data) and, for items
//     and quick tasks, only as SourceReadsFor says: an item by its key, a
//     type's items when the type is restored whole, and the items of the
//     types whose relation fields point at such a type (the links pass
//     re-links them);
//   - the target is listed for its workspace-level kinds and for the
//     objects of the types involved (ScopeFor), but the items of a type
//     that is not restored whole are read by id (Scope.Items): the items
//     the selected ones are mapped to, and those their relation values
//     point at. Quick tasks are listed only when the plan can touch them.
//     The scope is saved in the plan, so that the fingerprint check of a
//     saved plan reads the same objects again;
//   - a target object byte for byte equal to its source object, of a kind
//     whose comparison translates no id (items), is skipped as equal
//     without decoding either side (sameBytes).
//
// What a plan holds per object is its bytes and a small header: an
// object is decoded only to be compared or written (and then not kept,
// for items), never to be hashed (the fingerprint hashes its canonical
// text, jsonv.AppendCanonical, which is what decoding and encoding it
// wrote), and a target object byte for byte equal to its source object
// shares the source's bytes (NewSetBeside): an unchanged workspace is
// held once. The Set's indexes use the objects' own strings.
//
// A plan built this way has the same steps as one built from the whole
// snapshot against the whole target (the app package's tests compare
// them). The cost of restoring a type follows the objects of that type,
// of the types it points at (read by id, or listed keeping only those
// ids when they are many) and of the types that point at it.
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
// that no other source object is mapped to, by the id map or by the
// plan's own matches: same id, natural key). A create answered with a 2xx
// whose body is not the object (empty, an array, an object without an id)
// is a success: the object is found the same way, never created again;
// not found, the step fails and the next apply looks it up before
// creating it. References (relation values,
// a member's role, a group's users, a task's assignees, a quick task's
// item) are translated when a step is sent: through the plan's own
// matches and resolved references first, then the id map (the objects
// created since the plan was made). They are sent with the JSON type
// the target gives its ids (Plan.IDTypes). A key the server refuses (a
// 401, a 403 for the workspace or a scope, a 403 on the first request of
// a scope) stops the writes: writes and deletes are sent one at a time
// until one of each is answered without a refusal, the rest are recorded
// as not sent, and only the creates that were sent stay marked pending.
// Any other 403 fails its step only.
//
// Integration secrets are never in a snapshot (the API never returns
// them): they come from the target environment's configuration, and the
// plan says where from; data.environment follows the target. The kind
// table lists the documented ones (certisign.token, sendgrid.api_key); a
// value of any other key of an integration's data that a server masked
// instead of leaving out ("****", "••••1a2b", "sk_live_••••1234",
// "ghp_****abcd": kind.Masked), at any depth of the data, is treated the
// same way: never sent back nor compared, taken from the configuration
// (secrets.<provider>.<key>, a nested key by its path:
// secrets.<provider>.credentials.client_secret, a list element by its
// index: hosts.0.password; a dot or backslash inside a key is escaped
// with a backslash, so the top-level key "smtp.password" is written
// smtp\.password and the password under the key "hosts.example.com" is
// hosts\.example\.com.password, as the plan names them), or the
// integration is a manual step that needs its secret re-entered. The
// secret is written exactly where the masked value was: a configured
// path whose objects are not in the integration's data fails its step
// rather than creating them. A mask sent back would replace the secret
// with the mask.
//
// A plan records a fingerprint of the target objects it was built from;
// applying a saved plan re-reads the target and refuses when the
// fingerprint changed.
//
// The package knows the kind table and the client's write routes; it
// knows nothing of bbolt (the id map is an interface that the snapshot
// store implements) or of the command line.
package restore
