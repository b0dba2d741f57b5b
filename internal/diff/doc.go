// Package diff turns two versions of a workspace into a change set: the
// objects added, removed and changed, per kind and per parent, with the
// field-level changes of each changed object, and renders it as text for
// people or as stable JSON for programs. It is pure: no I/O, no knowledge
// of the API or of the store. Everything it needs about kinds comes in as
// plain data ([KindInfo]), built by the caller from the kind table.
//
// # Model
//
// [Compute] takes [Pair]s: one object (kind, parent, key) with its raw JSON
// on the old side, the new side, or both. It receives only the objects
// whose stored content differs, because the store finds them by comparing
// its content-addressed trees without reading anything unchanged. Diff
// therefore never sees the rest of the workspace, and its cost follows
// what changed, not the workspace's size; it cannot tell "unchanged" from
// "absent" by itself, and never needs to.
//
// Each pair becomes one [Change] ("added", "removed", "changed"), or noise.
// A changed object carries [FieldChange]s: a path, the old and the new value.
// Values are decoded by jsonv.Decode, so numbers keep the text they were
// stored with, and compared as jsonv.Equal (numbers by value), as restore
// compares them.
//
// # Comparing
//
// Comparison is semantic: member order never matters, a member set to
// null is the same as an absent one (a server may send either), and
// numbers compare
// by decimal value on their text (1, 1.0 and 1e0 are equal; integers of any
// size compare exactly, never through float64). Lists compare in order,
// except the lists named in KindInfo.Unordered.
//
// An ordered list is compared by skipping its equal head and tail and then
// pairing the elements between position by position: one element inserted,
// removed or edited shows as one field change at its index ("[2]"). The
// rule is symmetric: swapping old and new swaps the sides of every change
// and keeps every path.
//
// # Unordered lists
//
// A list named in KindInfo.Unordered is compared as a multiset: elements
// with the same canonical form (server-assigned members left out) match,
// whatever their positions. The other elements are named by an identity
// in the path instead of an index:
//
//   - a scalar by its value: "users[=14]";
//   - an object with an "id" member that is not server-assigned by that id:
//     "tasks[id=50]";
//   - another object by its scalar members that are not server-assigned,
//     sorted by name: "permissions[action=read,entity=contracts]";
//   - anything else by "=" and its canonical JSON.
//
// String values in an identity are bare when they are words, quoted
// otherwise ("[=\"14\"]" is the string, "[=14]" the number). An old and a
// new element with the same identity are compared member by member under
// that path (a permission's rules edited); the rest are reported as
// removed or added.
//
// # Noise
//
// KindInfo.ServerAssigned names the paths the server sets (ids, created_at,
// updated_at, the embedded creator, a permission's id). Their changes are
// never listed, and an object whose only differences are there is not a
// change: it is counted in [Result].Noise as server-only. An object whose
// stored content differs without any difference by the rules above (an
// unordered list reordered, 1.0 stored for 1) is counted as equivalent.
// Every pair of a volatile kind (statistics, request logs) is counted as
// volatile without being parsed. Noise never appears in Summary or Changes
// and never makes a result non-empty.
//
// # Unknown kinds
//
// A kind that the older or the newer snapshot could not read (a partial
// snapshot) is listed in Result.Unknown with the reason, and every pair of
// that kind becomes a change with op "unknown", never "removed" or
// "added": a failed listing must never look like a deletion. The text form
// only counts them.
//
// # Paths
//
// Paths are dotted for object members ("data.city"), with members that are
// not plain words quoted in brackets (`data["a.b"]`), "[i]" for positions
// in ordered lists and "[identity]" for elements of unordered lists. The
// empty path is the whole object (when one side is not an object at all).
// KindInfo paths use the same dots, with "*" for any member and "[]" for
// any list element ("permissions[].id").
//
// # Caveats
//
// An object's JSON is decoded whole: memory follows the largest object,
// not the number of pairs. Changes are collected in memory: a diff that
// removes a million objects holds a million Change values.
//
// Pairing by position in ordered lists reports a removal at the front of a
// list that also gained an element at its end as a change of every index
// in between; unordered lists do not have this problem.
package diff
