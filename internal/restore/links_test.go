package restore

import (
	"context"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// contractWithoutClientAtSnapshot prepares c: contract 1004 has no client
// in c.source (the snapshot, taken with contracts.client optional), and
// has client 1001 in the target since; with required, contracts.client
// is required in the target since.
func contractWithoutClientAtSnapshot(t *testing.T, c *liveRestore, variant string, required bool) {
	t.Helper()
	c.source = c.lt.read(t, "clients", "contracts")
	var fieldID string
	for _, f := range c.source.Children(kind.Fields, "contracts") {
		if text(f.Fields()["slug"]) == "client" {
			fieldID = f.ID
		}
	}
	if fieldID == "" {
		t.Fatal("no contracts.client field")
	}
	c.do(t, "fields.update", map[string]string{"type": "contracts", "id": fieldID}, map[string]any{"required": false})
	data := c.itemData(t, "1004")
	delete(data, "client")
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
	if variant == "merge" {
		c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": map[string]any{"client": nil}})
	}
	c.source = c.lt.read(t, "clients", "contracts") // the snapshot: 1004 has no client
	data["client"] = jsonNumber("1001")
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
	if required {
		c.do(t, "fields.update", map[string]string{"type": "contracts", "id": fieldID}, map[string]any{"required": true})
	}
}

// TestRestoreTypeLeavesUnselectedItemsRelationAlone: restoring
// type:clients brings back the relation values of other items that
// pointed at its items; a contract (not selected) that pointed at no
// client at the snapshot and was given one since keeps it: no links
// step clears it, whether the field is optional or required.
func TestRestoreTypeLeavesUnselectedItemsRelationAlone(t *testing.T) {
	for _, required := range []bool{false, true} {
		for _, v := range updateVariants {
			t.Run(v.name+map[bool]string{false: "/optional", true: "/required"}[required], func(t *testing.T) {
				opts := fakeapi.Options{RequiredRelations: required}
				v.set(&opts)
				c := &liveRestore{lt: newLiveTarget(t, opts, nil), ids: newMemIDs()}
				contractWithoutClientAtSnapshot(t, c, v.name, required)
				sel, err := selector.Parse("type:clients")
				if err != nil {
					t.Fatal(err)
				}
				p, err := Build(Input{Operation: "restore", Source: c.source, Target: c.lt.read(t, "clients", "contracts"),
					Select: SelectRestore(c.source, []selector.Selector{sel}), Same: true, IDs: c.ids})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range p.Steps {
					if s.Kind == kind.Items && s.Parent == "contracts" && s.Key == "1004" {
						t.Errorf("a step for the unselected contract 1004: %s %s", s.Action, s.Reason)
					}
				}
				sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
				if err != nil || sum[StatusFailed] != 0 {
					t.Errorf("apply: %v %v\n%s", sum, err, dump(p))
				}
				if raw := rawItem(t, c, "contracts", "1004"); !strings.Contains(raw, `"client":1001`) {
					t.Errorf("restoring type:clients cleared the client of an unselected contract: %s\n%s", raw, dump(p))
				}
			})
		}
	}
}

// TestLinksLeaveRequiredRelationUncleared: restoring one contract that
// had no client at the snapshot, into a target where contracts.client has
// since become required and the contract got a client: the plan does not
// send "client": null (the server refuses it on every apply) but says the
// value is left as it is, in a manual step; applying twice fails nothing.
// A plan that writes the field optional first (the type's fields
// restored too) still clears the value.
func TestLinksLeaveRequiredRelationUncleared(t *testing.T) {
	for _, v := range updateVariants {
		t.Run(v.name, func(t *testing.T) {
			opts := fakeapi.Options{RequiredRelations: true}
			v.set(&opts)
			c := &liveRestore{lt: newLiveTarget(t, opts, nil), ids: newMemIDs()}
			contractWithoutClientAtSnapshot(t, c, v.name, true)
			build := func(selectors ...string) *Plan {
				var sels []selector.Selector
				for _, x := range selectors {
					sel, err := selector.Parse(x)
					if err != nil {
						t.Fatal(err)
					}
					sels = append(sels, sel)
				}
				p, err := Build(Input{Operation: "restore", Source: c.source, Target: c.lt.read(t, "clients", "contracts"),
					Select: SelectRestore(c.source, sels), Same: true, IDs: c.ids})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			for run := 1; run <= 2; run++ {
				p := build("item:contracts/1004")
				var links *Step
				for _, s := range p.Steps {
					if s.Kind == kind.Items && s.Key == "1004" && s.Phase == PhaseLinks {
						links = s
					}
				}
				if links == nil || links.Action != Manual || !strings.Contains(links.Reason, "client is required in the target: left as it is") {
					t.Errorf("plan %d: want a manual links step saying the client is left as it is\n%s", run, dump(p))
				}
				sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
				if err != nil || sum[StatusFailed] != 0 {
					for _, s := range p.Steps {
						if s.Result != nil && s.Result.Status == StatusFailed {
							t.Errorf("apply %d: %s %s %s: %s: %s", run, s.Kind, s.Key, s.Phase, s.Reason, s.Result.Error)
						}
					}
				}
				if raw := rawItem(t, c, "contracts", "1004"); !strings.Contains(raw, `"client":1001`) {
					t.Errorf("apply %d: the required client was cleared: %s", run, raw)
				}
			}
			p := build("type:contracts")
			sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
			if err != nil || sum[StatusFailed] != 0 {
				t.Errorf("apply type:contracts: %v %v\n%s", sum, err, dump(p))
			}
			if raw := rawItem(t, c, "contracts", "1004"); strings.Contains(raw, `"client":`) {
				t.Errorf("restoring type:contracts (contracts.client optional again) left the client: %s\n%s", raw, dump(p))
			}
		})
	}
}
