package restore

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// readsSource is a source of two types: contracts point at clients.
func readsSource(t *testing.T) *Set {
	return setOf(t,
		[4]string{"types", "", "clients", `{"id":1,"slug":"clients"}`},
		[4]string{"types", "", "contracts", `{"id":2,"slug":"contracts"}`},
		[4]string{"fields", "clients", "10", `{"id":10,"slug":"name","type":"text"}`},
		[4]string{"fields", "contracts", "11", `{"id":11,"slug":"client","type":"relation","options":{"type":"clients"}}`},
		[4]string{"items", "clients", "100", `{"id":100,"data":{"name":"A"}}`},
		[4]string{"items", "clients", "101", `{"id":101,"data":{"name":"B"}}`},
		[4]string{"items", "contracts", "200", `{"id":200,"data":{"client":101}}`},
		[4]string{"items", "contracts", "201", `{"id":201,"data":{"client":100}}`},
	)
}

func parseSels(t *testing.T, texts ...string) []selector.Selector {
	t.Helper()
	var out []selector.Selector
	for _, text := range texts {
		s, err := selector.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestScopeReadsItemsByID: restoring one contract reads, of the target's
// items, the contract (by the same id, and by the id map's entry) and the
// client it points at, and lists neither type's items; restoring the type
// clients lists clients and contracts (which point at clients) whole.
func TestScopeReadsItemsByID(t *testing.T) {
	src := readsSource(t)
	ids := newMemIDs()
	ids.ids["items/200"] = "900"
	sels := parseSels(t, "item:contracts/200")
	sc := ScopeFor(src, SelectRestore(src, sels), false, ids, true)
	want := map[string][]string{"clients": {"101"}, "contracts": {"200", "900"}}
	if diff := cmp.Diff(want, sc.Items); diff != "" {
		t.Errorf("items read by id (-want +got):\n%s", diff)
	}
	if sc.Includes("items", "contracts") || sc.Includes("items", "clients") || sc.Includes("quick-tasks", "") {
		t.Errorf("scope %+v lists items or quick tasks", sc)
	}
	if !sc.Includes("fields", "contracts") || !sc.Includes("members", "") {
		t.Errorf("scope %+v does not list the fields of contracts or members", sc)
	}

	sc = ScopeFor(src, SelectRestore(src, parseSels(t, "type:clients")), false, ids, true)
	if len(sc.Items) != 0 || !sc.Includes("items", "contracts") || !sc.Includes("items", "clients") || !sc.Includes("quick-tasks", "") {
		t.Errorf("type:clients: scope %+v, want clients and contracts listed whole, and quick tasks", sc)
	}
}

// TestSourceReadsFor: one item is read by key; a type is read whole with
// the types that point at it, and quick tasks with it.
func TestSourceReadsFor(t *testing.T) {
	src := readsSource(t)
	r := SourceReadsFor(src, parseSels(t, "item:contracts/200"))
	if diff := cmp.Diff(SourceReads{Whole: map[string]bool{}, Match: map[string]bool{}, Keys: map[string][]string{"contracts": {"200"}}}, r); diff != "" {
		t.Errorf("item:contracts/200 (-want +got):\n%s", diff)
	}
	r = SourceReadsFor(src, parseSels(t, "type:clients"))
	if !r.Whole["clients"] || !r.Whole["contracts"] || !r.QuickTasks || len(r.Keys) != 0 {
		t.Errorf("type:clients: %+v, want clients and contracts whole, quick tasks", r)
	}
	r = SourceReadsFor(src, parseSels(t, "type:contracts"))
	if !r.Whole["contracts"] || r.Whole["clients"] {
		t.Errorf("type:contracts: %+v, want contracts whole, not clients", r)
	}
}

// TestDecodePlanRefusesScopeItems: a saved plan whose scope names an item
// that is no key is refused: the ids go into request paths.
func TestDecodePlanRefusesScopeItems(t *testing.T) {
	for _, items := range []string{`{"x":[".."]}`, `{"x":[""]}`, `{"..":["1"]}`} {
		in := `{"format":"enspace-sync plan","version":1,"source":"a","target":"b","scope":{"kinds":["items"],"items":` + items + `},"steps":[]}`
		if _, err := DecodePlan(strings.NewReader(in)); !errors.Is(err, ErrPlanFormat) {
			t.Errorf("items %s: %v, want ErrPlanFormat", items, err)
		}
	}
}
