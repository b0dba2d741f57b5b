package diff

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzKinds exercise every kind of path: server-assigned members, list
// elements and wildcards, unordered lists at the top and nested.
var fuzzKinds = []KindInfo{
	{Name: "plain"},
	roleKind,
	{
		Name:           "mixed",
		LabelFields:    []string{"name", "data.*"},
		ServerAssigned: []string{"id", "updated_at", "l[].id", "o.*.s", "m[][]"},
		Unordered:      []string{"l", "u", "o.*", "m[]", "data.l"},
	},
}

func FuzzFields(f *testing.F) {
	seeds := [][2]string{
		{`{}`, `{}`},
		{`{"a":1}`, `{"a":1.0}`},
		{`{"id":1,"updated_at":"x","name":"a"}`, `{"id":2,"updated_at":"y","name":"b"}`},
		{`{"l":[{"id":1,"k":"a"},{"id":2,"k":"b"}]}`, `{"l":[{"id":3,"k":"b"},{"id":4,"k":"c"},{"k":"c"}]}`},
		{`{"u":[1,1,2,"2",null,true,{"a":[]}]}`, `{"u":[2,1,{"a":[1]},false]}`},
		{`{"o":{"x":[3,2,1],"y":[{"s":1}]}}`, `{"o":{"x":[1,2,3,4],"y":[{"s":2}]}}`},
		{`{"m":[[1,2],[3]]}`, `{"m":[[3],[2,1]]}`},
		{`{"c":["a","b","c"]}`, `{"c":["a","x","b","c"]}`},
		{`{"c":["a","b","c"]}`, `{"c":["c"]}`},
		{`{"permissions":[{"id":1,"entity":"t","action":"read","rules":{}}]}`, `{"permissions":[{"id":2,"entity":"t","action":"read","rules":{"x":1}},{"entity":"t","action":"read"}]}`},
		{`{"data":{"a.b":"x","":null,"l":[{"id":"1"},{"id":1}]}}`, `{"data":{"a.b":"y","l":[{"id":1}]}}`},
		{`[1,2]`, `{"a":[]}`},
		{`"s"`, `1e400`},
		{`{"n":12345678901234567890}`, `{"n":1.2345678901234567890e19}`},
		{`{"a":`, `{}`},
		{`{} x`, `{}`},
		{``, ``},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, k := range fuzzKinds {
			checkFields(t, k, a, b)
		}
	})
}

func checkFields(t *testing.T, k KindInfo, a, b []byte) {
	for _, x := range [][]byte{a, b} {
		same, noise, err := Fields(k, x, x)
		if json.Valid(x) && err != nil {
			t.Fatalf("%s: Fields(x, x) of valid JSON %q failed: %v", k.Name, x, err)
		}
		if len(same) > 0 || noise {
			t.Fatalf("%s: Fields(x, x) of %q = %v, noise %v: want nothing", k.Name, x, same, noise)
		}
	}
	ab, noiseAB, errAB := Fields(k, a, b)
	ba, noiseBA, errBA := Fields(k, b, a)
	if (errAB == nil) != (errBA == nil) {
		t.Fatalf("%s: errors differ when swapped: %v and %v", k.Name, errAB, errBA)
	}
	if errAB != nil {
		return
	}
	if noiseAB != noiseBA {
		t.Fatalf("%s: noise only %v, swapped %v", k.Name, noiseAB, noiseBA)
	}
	if noiseAB && len(ab) > 0 {
		t.Fatalf("%s: noise only with %d changes", k.Name, len(ab))
	}
	if d := cmp.Diff(sortChanges(t, swapped(ab)), sortChanges(t, ba)); d != "" {
		t.Fatalf("%s: swapping old and new does not swap the changes (-want +got):\n%s", k.Name, d)
	}
	r := &Result{Changes: []Change{{Kind: k.Name, Key: "k", Op: Changed, Fields: ab}}}
	if err := WriteText(io.Discard, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(js.Bytes()) {
		t.Fatalf("invalid JSON output: %s", js.Bytes())
	}
}

// swapped returns the changes as seen from the other side.
func swapped(cs []FieldChange) []FieldChange {
	out := make([]FieldChange, len(cs))
	for i, c := range cs {
		op := c.Op
		switch op {
		case Added:
			op = Removed
		case Removed:
			op = Added
		}
		out[i] = FieldChange{Path: c.Path, Op: op, Old: c.New, New: c.Old}
	}
	return out
}

// sortChanges orders field changes by their JSON form, so that two lists
// with the same changes compare equal whatever their order.
func sortChanges(t *testing.T, cs []FieldChange) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal %+v: %v", c, err)
		}
		out[i] = string(b)
	}
	slices.SortFunc(out, strings.Compare)
	return out
}
