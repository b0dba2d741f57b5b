package restore

import (
	"strings"
	"testing"
)

// TestBuildNumbersByValue: a number spelt differently on both sides (1.0
// and 1, 1e2 and 100) is the same value, as diff says, so the plan skips
// the object as already equal; a different value is still an update.
func TestBuildNumbersByValue(t *testing.T) {
	source := setOf(t,
		[4]string{"types", "", "contracts", `{"id":7,"name":"Contracts","slug":"contracts","settings":{"limit":1.0,"l":[1e2,{"b":-0,"a":"x"}]}}`},
		[4]string{"types", "", "clients", `{"id":6,"name":"Clients","slug":"clients","settings":{"limit":2}}`},
	)
	target := setOf(t,
		[4]string{"types", "", "contracts", `{"id":70,"name":"Contracts","slug":"contracts","settings":{"l":[100,{"a":"x","b":0}],"limit":1}}`},
		[4]string{"types", "", "clients", `{"id":60,"name":"Clients","slug":"clients","settings":{"limit":2.5}}`},
	)
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, "types", "contracts"); s.Action != Skip || s.Reason != "equal" {
		t.Errorf("contracts: %s %q, want skip as equal (1.0 is 1)", s.Action, s.Reason)
	}
	if s := stepFor(t, p, "types", "clients"); s.Action != Update || !strings.Contains(s.Reason, "settings") {
		t.Errorf("clients: %s %q, want an update of settings (2 is not 2.5)", s.Action, s.Reason)
	}
}

func TestChangedFieldsNumbers(t *testing.T) {
	a := map[string]any{"n": mustValue(t, `1.50`), "data": mustValue(t, `{"x":1e3,"y":"1"}`)}
	b := map[string]any{"n": mustValue(t, `1.5`), "data": mustValue(t, `{"x":1000,"y":1}`)}
	if got := strings.Join(changedFields(a, b), ","); got != "data.y" {
		t.Errorf("changedFields = %q, want data.y only", got)
	}
}

func mustValue(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeRaw([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
