package diff

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testKinds is a small kind table shaped like the real one.
var testKinds = map[string]KindInfo{
	"types": {Name: "types", Label: "type", Order: 2, LabelFields: []string{"name", "slug"}, ServerAssigned: serverAssigned},
	"items": itemKind,
	"roles": roleKind,
	"members": {Name: "members", Label: "member", Order: 12, LabelFields: []string{"email"},
		ServerAssigned: serverAssigned},
	"request-logs": {Name: "request-logs", Label: "request log entry", Order: 16, Volatile: true,
		LabelFields: []string{"path"}, ServerAssigned: serverAssigned},
}

func pairs(ps ...Pair) Input {
	return Input{Kinds: testKinds, Pairs: slices.Values(ps)}
}

func TestCompute(t *testing.T) {
	in := pairs(
		Pair{Kind: "items", Parent: "clients", Key: "1011",
			Old: []byte(`{"id":1011,"data":{"name":"Acme Ltda","city":"São Paulo"},"updated_at":"1"}`),
			New: []byte(`{"id":1011,"data":{"name":"Acme Ltda","city":"Campinas"},"updated_at":"2"}`)},
		Pair{Kind: "items", Parent: "clients", Key: "1012", // server-only
			Old: []byte(`{"id":1012,"data":{"name":"B"},"updated_at":"1"}`),
			New: []byte(`{"id":1012,"data":{"name":"B"},"updated_at":"2"}`)},
		Pair{Kind: "items", Parent: "clients", Key: "1013", // equivalent
			Old: []byte(`{"id":1013,"data":{"name":"C","n":1}}`),
			New: []byte(`{"id":1013,"data":{"name":"C","n":1.0}}`)},
		Pair{Kind: "items", Parent: "clients", Key: "999", New: []byte(`{"id":999,"data":{"title":"New one"}}`)},
		Pair{Kind: "items", Parent: "contracts", Key: "1061", Old: []byte(`{"id":1061,"data":{"number":"CT-000001"}}`)},
		Pair{Kind: "items", Parent: "contracts", Key: "1062", Old: []byte(`{"id":1062,"data":{}}`)},
		Pair{Kind: "types", Key: "invoices", New: []byte(`{"id":9,"name":"Invoices","slug":"invoices"}`)},
		Pair{Kind: "types", Key: "legacy", Old: []byte(`{"id":3,"name":"","slug":"legacy"}`)},
		Pair{Kind: "request-logs", Key: "1", New: []byte(`not even json`)},
		Pair{Kind: "request-logs", Key: "2", Old: []byte(`{}`), New: []byte(`{"x":1}`)},
	)
	got, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: "types", Key: "invoices", Label: "Invoices", Op: Added},
		{Kind: "types", Key: "legacy", Label: "legacy", Op: Removed},
		{Kind: "items", Parent: "clients", Key: "999", Label: "New one", Op: Added},
		{Kind: "items", Parent: "clients", Key: "1011", Label: "Acme Ltda", Op: Changed,
			Fields: []FieldChange{{Path: "data.city", Op: Changed, Old: "São Paulo", New: "Campinas"}}},
		{Kind: "items", Parent: "contracts", Key: "1061", Label: "CT-000001", Op: Removed},
		{Kind: "items", Parent: "contracts", Key: "1062", Label: "1062", Op: Removed},
	}
	if diff := cmp.Diff(want, got.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantSummary := map[string]Counts{
		"types": {Added: 1, Removed: 1},
		"items": {Added: 1, Removed: 2, Changed: 1},
	}
	if diff := cmp.Diff(wantSummary, got.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	wantNoise := map[string]Noise{
		"items":        {ServerOnly: 1, Equivalent: 1},
		"request-logs": {Volatile: 2},
	}
	if diff := cmp.Diff(wantNoise, got.Noise); diff != "" {
		t.Errorf("noise (-want +got):\n%s", diff)
	}
	if got.Empty() {
		t.Error("Empty() = true with changes")
	}
}

func TestComputeUnknown(t *testing.T) {
	in := pairs(
		// members could not be read in the newer snapshot: absent there,
		// they must not look removed.
		Pair{Kind: "members", Key: "12", Old: []byte(`{"id":12,"email":"ana@acme.com"}`)},
		Pair{Kind: "members", Key: "13", Old: []byte(`{"id":13,"email":"bruno@acme.com"}`)},
		// roles could not be read in the older one.
		Pair{Kind: "roles", Key: "5", New: []byte(`{"id":5,"name":"Analyst"}`)},
		Pair{Kind: "types", Key: "clients", Old: []byte(`{"name":"Clients"}`), New: []byte(`{"name":"Customers"}`)},
	)
	in.UnknownNew = map[string]string{"members": "list members: 500 Internal Server Error", "types": "timeout"}
	in.UnknownOld = map[string]string{"roles": "list roles: 403 Forbidden", "types": "reset"}
	got, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: "types", Key: "clients", Label: "Customers", Op: Unknown},
		{Kind: "roles", Key: "5", Label: "Analyst", Op: Unknown},
		{Kind: "members", Key: "12", Label: "ana@acme.com", Op: Unknown},
		{Kind: "members", Key: "13", Label: "bruno@acme.com", Op: Unknown},
	}
	if diff := cmp.Diff(want, got.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantUnknown := map[string]string{
		"members": "newer snapshot: list members: 500 Internal Server Error",
		"roles":   "older snapshot: list roles: 403 Forbidden",
		"types":   "older snapshot: reset; newer snapshot: timeout",
	}
	if diff := cmp.Diff(wantUnknown, got.Unknown); diff != "" {
		t.Errorf("unknown (-want +got):\n%s", diff)
	}
	if got.Summary["members"] != (Counts{Unknown: 2}) {
		t.Errorf("members summary = %+v, want 2 unknown", got.Summary["members"])
	}
}

func TestComputeEmpty(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want bool
	}{
		{"no pairs", Input{Kinds: testKinds}, true},
		{"noise only", pairs(
			Pair{Kind: "items", Parent: "a", Key: "1", Old: []byte(`{"updated_at":"1"}`), New: []byte(`{"updated_at":"2"}`)},
			Pair{Kind: "request-logs", Key: "1", New: []byte(`{}`)},
		), true},
		{"an unknown kind without pairs", Input{Kinds: testKinds, UnknownOld: map[string]string{"roles": "x"}}, false},
		{"one change", pairs(Pair{Kind: "types", Key: "a", New: []byte(`{}`)}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compute(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Empty(); got != tt.want {
				t.Errorf("Empty() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestComputeOrder(t *testing.T) {
	var ps []Pair
	for _, k := range []string{"b", "10", "2", "a", "010", "1"} {
		ps = append(ps, Pair{Kind: "items", Parent: "x", Key: k, New: []byte(`{}`)})
	}
	ps = append(ps,
		Pair{Kind: "zz-new-kind", Key: "1", New: []byte(`{}`)},
		Pair{Kind: "aa-new-kind", Key: "1", New: []byte(`{}`)},
		Pair{Kind: "items", Parent: "10", Key: "1", New: []byte(`{}`)},
		Pair{Kind: "items", Parent: "9", Key: "1", New: []byte(`{}`)},
		Pair{Kind: "types", Key: "t", New: []byte(`{}`)},
	)
	r, err := Compute(pairs(ps...))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range r.Changes {
		got = append(got, objectName(c.Kind, c.Parent, c.Key))
	}
	want := []string{
		"types t",
		"items 9/1", "items 10/1",
		"items x/1", "items x/2", "items x/10", "items x/010", "items x/a", "items x/b",
		"aa-new-kind 1", "zz-new-kind 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestComputeErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		want     error
		wantText string
	}{
		{"invalid old", pairs(Pair{Kind: "items", Parent: "clients", Key: "1011", Old: []byte(`{`), New: []byte(`{}`)}),
			ErrInvalidJSON, "items clients/1011: old:"},
		{"invalid added", pairs(Pair{Kind: "types", Key: "a", New: []byte(`[1,]`)}),
			ErrInvalidJSON, "types a: new:"},
		{"invalid in an unknown kind", Input{Kinds: testKinds, UnknownOld: map[string]string{"types": "x"},
			Pairs: slices.Values([]Pair{{Kind: "types", Key: "a", New: []byte(`nope`)}})},
			ErrInvalidJSON, "types a: new:"},
		{"neither side", pairs(Pair{Kind: "types", Key: "a"}), ErrBadPair, "types a has neither"},
		{"twice", pairs(
			Pair{Kind: "types", Key: "a", New: []byte(`{}`)},
			Pair{Kind: "types", Key: "a", Old: []byte(`{}`)},
		), ErrBadPair, "types a given twice"},
		{"bad kind path", Input{Kinds: map[string]KindInfo{"x": {Unordered: []string{"a[1]"}}},
			Pairs: slices.Values([]Pair{{Kind: "x", Key: "a", New: []byte(`{}`)}})},
			ErrBadPath, "kind x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"first label field", ``, `{"id":1,"data":{"name":"Acme","title":"T"}}`, "Acme"},
		{"empty string skipped", ``, `{"id":1,"data":{"name":"","title":"T"}}`, "T"},
		{"number", ``, `{"id":1,"data":{"number":42}}`, "42"},
		{"objects and bools skipped", ``, `{"id":7,"data":{"name":{"x":1},"title":true}}`, "7"},
		{"key when nothing fits", ``, `{"data":{}}`, "k"},
		{"removed uses old", `{"id":1,"data":{"name":"Old"}}`, ``, "Old"},
		{"changed uses new", `{"id":1,"data":{"name":"Old"}}`, `{"id":1,"data":{"name":"New"}}`, "New"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Pair{Kind: "items", Parent: "p", Key: "k"}
			if tt.old != "" {
				p.Old = []byte(tt.old)
			}
			if tt.new != "" {
				p.New = []byte(tt.new)
			}
			r, err := Compute(pairs(p))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Changes) != 1 {
				t.Fatalf("got %d changes, want 1", len(r.Changes))
			}
			if got := r.Changes[0].Label; got != tt.want {
				t.Errorf("label = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestComputeShortListing: items the newer snapshot listed short of their
// count (a server capping pages) are unknown, never removed.
func TestComputeShortListing(t *testing.T) {
	in := pairs(
		Pair{Kind: "items", Parent: "clients", Key: "1", Old: []byte(`{"id":1}`), New: []byte(`{"id":1}`)},
		Pair{Kind: "items", Parent: "clients", Key: "2", Old: []byte(`{"id":2}`)},
	)
	in.UnknownNew = map[string]string{"items": "listed 1 of 2 items of type clients: the server returned fewer than its count"}
	got, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Changes {
		if c.Op == Removed {
			t.Errorf("%s %s reported removed, want unknown", c.Kind, c.Key)
		}
	}
	if _, ok := got.Unknown["items"]; !ok {
		t.Errorf("Unknown = %v, want items", got.Unknown)
	}
}
