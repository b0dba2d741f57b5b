package jsonvtest

import (
	"crypto/sha256"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// plainKind is a diff kind without server-assigned or unordered paths:
// its field comparison is plain value equality.
var plainKind = diff.KindInfo{Name: "plain"}

// diffEqual reports whether diff finds no field change between x and y.
func diffEqual(t *testing.T, x, y []byte) bool {
	changes, noise, err := diff.Fields(plainKind, x, y)
	if err != nil {
		t.Fatalf("diff.Fields(%q, %q): %v", x, y, err)
	}
	return len(changes) == 0 && !noise
}

// restoreEqual plans a restore of one type whose settings are x into a
// target whose same type has settings y, and reports whether the plan
// calls it already equal (skip) rather than an update.
func restoreEqual(t *testing.T, x, y []byte) bool {
	typeOf := func(id string, settings []byte) []byte {
		return append(append([]byte(`{"id":`+id+`,"name":"Contracts","slug":"contracts","settings":`), settings...), '}')
	}
	source, target := restore.NewSet(), restore.NewSet()
	if err := source.Put(kind.Types, "", "contracts", typeOf("7", x)); err != nil {
		t.Fatal(err)
	}
	if err := target.Put(kind.Types, "", "contracts", typeOf("70", y)); err != nil {
		t.Fatal(err)
	}
	p, err := restore.Build(restore.Input{Operation: "restore", Source: source, Target: target, Select: restore.SelectAll()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.Kind != kind.Types || s.Key != "contracts" {
			continue
		}
		switch s.Action {
		case restore.Skip:
			return true
		case restore.Update:
			return false
		}
		t.Fatalf("plan for settings %q into %q: %s %q, want skip or update", x, y, s.Action, s.Reason)
	}
	t.Fatalf("plan for settings %q into %q has no step for the type", x, y)
	return false
}

// FuzzEqualEverywhere takes two JSON documents and checks that the store,
// diff and restore agree with jsonv about their equality:
//
//   - diff reports no change ⇔ restore plans a skip (already equal) ⇔
//     jsonv.Equal ⇔ equal jsonv.Key ⇔ equal hashes of the number-normalised
//     form (the hash of Key);
//   - equal store hashes (snapshot.ContentHash, of the canonical form that
//     keeps number spelling) ⇒ all of the above; not the reverse: 1 and
//     1.0 are two blobs, one value.
func FuzzEqualEverywhere(f *testing.F) {
	for _, s := range [][2]string{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},                            // key order
		{" {\n\t\"a\" : [ 1 , 2 ] }\r\n", `{"a":[1,2]}`},              // whitespace
		{`{"s":"\u00e9\/\n\u2028<&>"}`, "{\"s\":\"é/\\n\u2028<&>\"}"}, // escapes
		{`"\ud800"`, `"\ufffd"`},                                      // a lone surrogate
		{`1`, `1.0`}, {`1`, `1e0`}, {`1.0`, `10e-1`}, {`100`, `1E+2`}, // one value, many spellings
		{`-0`, `0`}, {`-0.0e-0`, `0`},
		{`9007199254740993`, `9007199254740992`}, // above 2⁵³: equal as float64, not as numbers
		{`12345678901234567890123`, `1.2345678901234567890123e22`},
		{`[[1,[2,[3]]],[]]`, `[[1,[2,[3.0]]],[]]`}, // nested lists
		{`[[1,2]]`, `[[2,1]]`},
		{`{"a":null}`, `{}`},
		{`{"a":1,"a":2}`, `{"a":2}`}, // the last duplicate wins
		{`"1"`, `1`}, {`true`, `"true"`}, {`null`, `false`},
		{`1e99999999999999999999`, `1E99999999999999999999`},
		{`{"x":[{"id":1,"v":1.50}]}`, `{"x":[{"v":1.5,"id":1}]}`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, errA := jsonv.Decode(x)
		b, errB := jsonv.Decode(y)
		if errA != nil || errB != nil {
			return
		}
		hx, errX := snapshot.ContentHash(x)
		hy, errY := snapshot.ContentHash(y)
		if errX != nil || errY != nil {
			t.Fatalf("Decode accepts %q and %q but the store refuses one: %v, %v", x, y, errX, errY)
		}
		equal := jsonv.Equal(a, b)
		keys := jsonv.Key(a) == jsonv.Key(b)
		normalised := sha256.Sum256([]byte(jsonv.Key(a))) == sha256.Sum256([]byte(jsonv.Key(b)))
		inDiff := diffEqual(t, x, y)
		inRestore := restoreEqual(t, x, y)
		if equal != keys || equal != normalised || equal != inDiff || equal != inRestore {
			t.Fatalf("%q vs %q: jsonv.Equal %v, equal keys %v, equal normalised hashes %v, diff no change %v, restore already equal %v",
				x, y, equal, keys, normalised, inDiff, inRestore)
		}
		if hx == hy && !inDiff {
			t.Fatalf("%q and %q are one blob in the store but diff sees a change", x, y)
		}
	})
}
