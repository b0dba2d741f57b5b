// Package jsonv is the one JSON value model of enspace-sync: decoding that
// keeps numbers exact, the canonical form the store hashes, value
// equality, and the path patterns ("data.*", "permissions[].id") that kind
// tables use. Snapshot hashing, diff and restore all go through it, so
// what one calls equal the others call equal too. It imports nothing of
// the project.
//
// # Values
//
// Decode returns map[string]any, []any, string, json.Number, bool and nil.
// Numbers stay json.Number (their text), never float64, so ids above 2⁵³
// and decimals survive unchanged.
//
// Equal compares two values: object members in any order, lists in order,
// strings by their bytes, numbers by value: "1", "1.0", "1e0" and "10e-1"
// are equal, and so are "0" and "-0". Key gives each value a text that is
// equal exactly when the values are, for map keys and sorting.
//
// # The canonical form keeps number spelling
//
// Canonical is the form the store hashes (a blob's address) and
// `verify --read-data` re-hashes: sorted keys, no insignificant
// whitespace, one string escaping, and numbers exactly as written. Its
// output must never change for any input, or existing databases stop
// verifying. It does not normalise numbers, on purpose: the store keeps an
// object byte-exact as the API returned it, and "1.0" and "1" are
// different bytes to keep. So:
//
//   - equal canonical forms (equal store hashes) imply Equal;
//   - Equal does not imply equal canonical forms: {"n":1} and {"n":1.0}
//     are two blobs but no change for diff and nothing to do for restore;
//   - Equal is exactly equality of Key, the number-normalised form.
//
// # Speed
//
// A backup hashes every object, and the client checks every answer, so
// three entry points cost what they must and no more (BenchmarkValid,
// BenchmarkAppendCanonical, BenchmarkCanonicalInput; one object shaped
// like the fake's items, about 350 bytes, on a shared 2-core machine):
//
//   - Valid checks JSON in one pass that writes nothing, as
//     encoding/json's Valid decides (FuzzValid): 330-430 MB/s against
//     85-95 MB/s for encoding/json on a page of 100 items;
//   - AppendCanonical writes into the caller's buffer (its member stack
//     and scratch are pooled) and copies runs of plain string bytes at
//     once, and sorts an object's members (up to 16) by insertion without
//     calling a comparison function: 1.0-1.4 µs and no allocation per
//     object, against 4.3 µs and 7 allocations before. The sort moves
//     member indices, not the members (which hold pointers: each swap ran
//     the garbage collector's write barrier while it marked), and decides
//     on a key's first byte without a call; plain string runs are copied
//     through a byte table (0.8-0.9 µs; 6% less CPU than before, measured
//     as task-clock on a loaded machine, load 8-9);
//   - since then the general path (keys out of order, as the API sends
//     them) writes lazily: the input bytes the form keeps as they are
//     (punctuation, numbers, literals, strings without escapes, checked
//     a word at a time with their UTF-8) are left pending and copied in
//     one run where the form departs from the input (whitespace, an
//     escape, members to reorder) or ends; members hold no pointers and
//     carry their key's first eight bytes as a number, on which the sort
//     decides without reading the keys unless two tie; duplicates are
//     looked for only when the sort met equal keys. Instructions counted
//     under valgrind (deterministic on a shared machine), the old code
//     kept as the reference (canonical_ref_test.go, FuzzCanonicalSameAsBefore,
//     TestCanonicalSameAsBeforeRandom), BenchmarkCanonicalShapes:
//     restore-db's item (379 bytes) 17,460 instructions before, 10,816
//     after; the fake's item (352 bytes) 16,624 and 10,178; a nested
//     object (1,078 bytes) 52,927 and 32,387; already canonical input
//     12,655 and 7,520 (IsCanonical: about 6,000). Timed, the fastest of
//     12 alternated runs at load 6.7: 484 ns against 1,122 ns on the
//     fake's item; in restore-db at a million objects the canonical form
//     took 0.68-0.95 CPU-s against 1.14-1.53 (offsite's # Figures);
//   - CanonicalForm returns an input that is its own canonical form (with
//     no escape in its strings) as it is, decided in the same pass: snapshot.ContentHash reads each
//     object once, where it used to run IsCanonical first and then,
//     for any object that failed it, AppendCanonical from the start;
//   - a Canonicalizer canonicalises values one after another with its own
//     buffers (no pool round trip), reads one value of a longer input
//     (AppendValue: the elements of a list page, FuzzAppendValue) and keeps
//     the outermost object's members as read (Member), so the client
//     checks, cuts, hashes and files a page in one pass;
//   - IsCanonical stops at the first sign that its input is not its own
//     canonical form, and is conservative (an escape says no; valid UTF-8
//     passes, but not U+2028 and U+2029, which the canonical form
//     escapes): on canonical input it takes 0.34 µs where AppendCanonical
//     takes 0.55-0.63 µs;
//   - a Canonicalizer's AppendValue makes the same check first and
//     appends a value that passes as it is (FuzzAppendValueFastPath
//     compares it with canonicalising every value, output, end and
//     members): on the benchmark object made canonical 0.68 µs against
//     1.43 µs canonicalised (the fastest of eight alternated runs each,
//     load 10-14; BenchmarkAppendValue). The fake API's items, like a
//     Node.js server's, keep their fields in insertion order, so the
//     check gives up at their third key; that failed check alone took
//     120-150 ns, a tenth of the canonical form, so after a value that
//     fails it only one value in 16 is checked until one passes (the
//     values of a page come from one server, alike): in the API's order
//     1.59 µs against 1.62 µs without the check. A server that sends
//     sorted keys gets the fast path on every value. Up to this build
//     the check refused every byte outside ASCII, so an object with one
//     accented letter was canonicalised.
//
// # Caveats
//
//   - Before this package, restore compared values by their encoding/json
//     text, so 1 and 1.0 differed there while diff called them equal. The
//     two disagreed; numbers by value (diff's rule) won.
//   - An exponent beyond ±2⁶² is compared as written ("1e9999999999999999999"
//     equals only itself spelt alike).
//   - Equal and Key take float64 and Go ints as numbers too, for values
//     built in code; other Go types compare by their encoding/json text.
//   - Key is not JSON to parse: strings are quoted the Go way, numbers
//     written as NumberKey does ("1e1").
//   - An object member set to null and an absent member are one value for
//     Equal and Key (the API contract: a server may send either), at any
//     depth; the stored canonical form keeps what was sent, so the two are
//     two blobs, one value, like 1 and 1.0.
//
// # Path patterns
//
// ParsePattern compiles a dotted path: member names, "*" for any member,
// a trailing "[]" for every element of a list. A Pattern matches concrete
// paths (Match, MatchPrefix), and reads (Get), rewrites (Visit) and
// removes (Delete) the values it names in a decoded value.
package jsonv
