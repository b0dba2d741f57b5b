package restore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

var fieldMainContract = [4]string{"fields", "clients", "21", `{"id":21,"name":"Main contract","slug":"main_contract","type":"relation","required":true,"options":{"type":"contracts","multiple":false},"position":1,"active":true}`}

// cycleSource is clients and contracts whose required relations form a
// cycle: contracts.client → clients, clients.main_contract → contracts.
func cycleSource(t *testing.T) *Set {
	return setOf(t, typeClients, typeContracts, fieldClientName, fieldMainContract, fieldNumber, fieldClientRequired,
		item(1001, "clients", `{"name":"A","main_contract":1061}`), item(1061, "contracts", `{"number":"C-1","client":1001}`))
}

// relaxLevels returns the steps of a plan by phase, and the lowest and
// highest level of the item creates and links.
type relaxView struct {
	relax, require, links  []*Step
	createsFrom, createsTo int
}

func viewRelax(t *testing.T, p *Plan) relaxView {
	t.Helper()
	v := relaxView{createsFrom: 1 << 30, createsTo: -1}
	for i, s := range p.Steps {
		if i > 0 && s.Level < p.Steps[i-1].Level {
			t.Fatalf("steps out of order at %d", i)
		}
		switch {
		case s.Phase == PhaseRelax:
			v.relax = append(v.relax, s)
		case s.Phase == PhaseRequire:
			v.require = append(v.require, s)
		case s.Phase == PhaseLinks:
			v.links = append(v.links, s)
		case s.Kind == kind.Items && s.Action == Create:
			v.createsFrom, v.createsTo = min(v.createsFrom, s.Level), max(v.createsTo, s.Level)
		}
	}
	return v
}

// TestRelaxCycleFieldCreatedByPlan: into an empty workspace, the relaxed
// field clients.main_contract is created with required false, the clients'
// creates do not carry it, the links pass sets it, and a final step after
// the links sets required back.
func TestRelaxCycleFieldCreatedByPlan(t *testing.T) {
	p, err := Build(Input{Operation: "replicate", Source: cycleSource(t), Target: NewSet(), Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	field := stepFor(t, p, "fields", "21")
	if field.Action != Create || !strings.Contains(string(field.Body), `"required":false`) {
		t.Errorf("field step %s %s, want a create with required false", field.Action, field.Body)
	}
	if !strings.Contains(field.Reason, "clients.main_contract → contracts → clients") {
		t.Errorf("field reason %q, want the cycle", field.Reason)
	}
	if other := stepFor(t, p, "fields", "26"); !strings.Contains(string(other.Body), `"required":true`) {
		t.Errorf("contracts.client created with %s, want required true", other.Body)
	}
	v := viewRelax(t, p)
	if len(v.relax) != 0 {
		t.Errorf("relax steps %s, want none (the plan creates the field relaxed)", dump(p))
	}
	if len(v.require) != 1 {
		t.Fatalf("require steps: %d, want 1: %s", len(v.require), dump(p))
	}
	req := v.require[0]
	if req.Action != Update || req.Kind != kind.Fields || req.Key != "21" || !fullFieldBody(req.Body, true) {
		t.Errorf("require step %+v body %s", req, req.Body)
	}
	if field.Level >= v.createsFrom {
		t.Errorf("field at level %d, items from %d: want the field first", field.Level, v.createsFrom)
	}
	for _, l := range v.links {
		if req.Level <= l.Level {
			t.Errorf("require at level %d, links at %d: want it after the links", req.Level, l.Level)
		}
	}
	if len(v.links) != 1 || v.links[0].Key != "1001" || string(v.links[0].Body) != `{"data":{"main_contract":1061,"name":"A"}}` {
		t.Errorf("links %s, want the client's main contract", dump(p))
	}
	if client := stepFor(t, p, "items", "1001"); string(client.Body) != `{"data":{"name":"A"}}` {
		t.Errorf("client created with %s, want no main_contract", client.Body)
	}
	var text strings.Builder
	if err := WriteText(&text, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "~ field clients/21 \"Main contract\": set back to required after the links") {
		t.Errorf("text does not show the require step:\n%s", text.String())
	}
	raw, _ := json.Marshal(p)
	if !strings.Contains(string(raw), `"phase":"require"`) {
		t.Errorf("plan JSON lacks the require step")
	}
}

// TestRelaxCycleFieldInTarget: the target has both types and their fields
// (required), no items: a relax step before the first item level sets
// required false, and the require step after the links sets it back. A
// target with the items too plans nothing for the field.
func TestRelaxCycleFieldInTarget(t *testing.T) {
	config := setOf(t, typeClients, typeContracts, fieldClientName, fieldMainContract, fieldNumber, fieldClientRequired)
	p, err := Build(Input{Operation: "replicate", Source: cycleSource(t), Target: config, Select: SelectAll(), IDs: newMemIDs(), Same: true})
	if err != nil {
		t.Fatal(err)
	}
	v := viewRelax(t, p)
	if len(v.relax) != 1 || len(v.require) != 1 {
		t.Fatalf("relax %d, require %d steps, want 1 and 1: %s", len(v.relax), len(v.require), dump(p))
	}
	relax, req := v.relax[0], v.require[0]
	if relax.Action != Update || relax.TargetID != "21" || !fullFieldBody(relax.Body, false) {
		t.Errorf("relax step %+v body %s", relax, relax.Body)
	}
	if !strings.HasPrefix(relax.Reason, "relaxed for the apply: its values form a cycle of required relations (clients.main_contract → contracts → clients)") {
		t.Errorf("relax reason %q", relax.Reason)
	}
	if relax.Level >= v.createsFrom {
		t.Errorf("relax at level %d, item creates from %d: want it before", relax.Level, v.createsFrom)
	}
	if field := stepFor(t, p, "fields", "21"); field.Action != Skip || field.Level >= relax.Level {
		t.Errorf("field step %s at %d, relax at %d", field.Action, field.Level, relax.Level)
	}
	if len(v.links) == 0 {
		t.Fatalf("no links steps: %s", dump(p))
	}
	for _, l := range v.links {
		if req.Level <= l.Level || l.Level <= v.createsTo {
			t.Errorf("levels: creates to %d, links %d, require %d", v.createsTo, l.Level, req.Level)
		}
	}
	for _, s := range p.Steps {
		if s != req && s.Level == req.Level {
			t.Errorf("%s %s shares the require level", s.Kind, s.Key)
		}
		if s != relax && s.Level == relax.Level {
			t.Errorf("%s %s shares the relax level", s.Kind, s.Key)
		}
	}

	// Apply it: the relax and require steps reach the field by its id.
	cl := newMemClient()
	ids := newMemIDs()
	p, _ = Build(Input{Operation: "replicate", Source: cycleSource(t), Target: config, Select: SelectAll(), IDs: ids, Same: true})
	if _, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids}).Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v\n%s", err, dump(p))
	}
	if cl.sent["fields.update"] != 2 {
		t.Errorf("fields.update sent %d times, want 2 (relax, require)", cl.sent["fields.update"])
	}

	// With the items in the target, nothing is relaxed.
	full := setOf(t, typeClients, typeContracts, fieldClientName, fieldMainContract, fieldNumber, fieldClientRequired,
		item(1001, "clients", `{"name":"A","main_contract":1061}`), item(1061, "contracts", `{"number":"C-1","client":1001}`))
	p, err = Build(Input{Operation: "replicate", Source: cycleSource(t), Target: full, Select: SelectAll(), IDs: newMemIDs(), Same: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Writes() != 0 {
		t.Errorf("a plan against the complete target writes: %s", dump(p))
	}

	// A field left relaxed by an interrupted apply: not relaxed again, set
	// back at the end.
	relaxed := setOf(t, typeClients, typeContracts, fieldClientName, fieldNumber, fieldClientRequired,
		[4]string{"fields", "clients", "21", strings.Replace(fieldMainContract[3], `"required":true`, `"required":false`, 1)})
	p, err = Build(Input{Operation: "replicate", Source: cycleSource(t), Target: relaxed, Select: SelectAll(), IDs: newMemIDs(), Same: true})
	if err != nil {
		t.Fatal(err)
	}
	v = viewRelax(t, p)
	field := stepFor(t, p, "fields", "21")
	if field.Action != Update || !strings.Contains(string(field.Body), `"required":false`) || len(v.require) != 1 {
		t.Errorf("a relaxed field: %s %s, %d require steps", field.Action, field.Body, len(v.require))
	}
}

// TestRequireRunsAfterFailures: when the items' creates fail, required is
// still set back, and the step's result says so (2 creates and the
// links step that had nothing to link failed).
func TestRequireRunsAfterFailures(t *testing.T) {
	config := setOf(t, typeClients, typeContracts, fieldClientName, fieldMainContract, fieldNumber, fieldClientRequired)
	cl := newMemClient()
	cl.refuse["items.create"] = "data.name should not be empty"
	ids := newMemIDs()
	p, err := Build(Input{Operation: "replicate", Source: cycleSource(t), Target: config, Select: SelectAll(), IDs: ids, Same: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids}).Apply(context.Background(), p); err == nil {
		t.Fatal("apply with refused creates succeeded")
	}
	req := viewRelax(t, p).require[0]
	if req.Result == nil || req.Result.Status != StatusDone || !strings.Contains(req.Result.Note, "set back although 3 earlier steps failed") {
		t.Errorf("require result %+v", req.Result)
	}
}

// fullFieldBody reports whether a relax or require step sends the whole
// field (the field update takes the full FieldInput) with required set.
func fullFieldBody(raw []byte, required bool) bool {
	v, err := decodeRaw(raw)
	m, _ := v.(map[string]any)
	return err == nil && m["name"] == "Main contract" && m["slug"] == "main_contract" && m["type"] == "relation" && m["required"] == required
}
