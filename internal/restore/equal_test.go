package restore

import (
	"context"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
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

// A quick task with four members, unchanged since the snapshot, on a
// server that answers assignees in another order on every read (their
// order is not promised): a restore plan has nothing to write.
func TestRestoreOfUnchangedShuffledAssigneesWritesNothing(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{ShuffleLists: true, Seed: 5}, nil)
	var members []any
	for _, m := range readAll(t, lt.client).Of(kind.Members)[:4] {
		members = append(members, jsonNumber(m.ID))
	}
	if _, err := lt.client.Do(context.Background(), "quick-tasks.create", "acme", nil, map[string]any{"title": "four people", "status": "open",
		"assignees": map[string]any{"members": members, "groups": []any{}}}); err != nil {
		t.Fatal(err)
	}
	source := readAll(t, lt.client)
	for round := 1; round <= 3; round++ {
		p, err := Build(Input{Operation: "restore", Source: source, Target: readAll(t, lt.client), Select: SelectAll(), Same: true, IDs: newMemIDs()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Action != Skip && s.Action != Manual {
				t.Errorf("round %d: %s %s %s: %s", round, s.Kind, s.Key, s.Action, s.Reason)
			}
		}
	}
}
