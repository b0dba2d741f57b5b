package restore

import (
	"context"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// A contract not selected, reached through LinkInto, pointed at client 1001
// at the snapshot; 1001 is not in the snapshot (gone), and the contract has
// been given client 1002 since. Restoring type:clients must not clear 1002.
func TestLinkIntoItemKeepsValueWhenItsSnapshotItemIsGone(t *testing.T) {
	c := &liveRestore{lt: newLiveTarget(t, fakeapi.Options{}, nil), ids: newMemIDs()}
	c.do(t, "items.delete", map[string]string{"type": "clients", "id": "1001"}, nil)
	c.source = c.lt.read(t, "clients", "contracts")
	t.Logf("source 1004: %s", rawItem(t, c, "contracts", "1004"))
	data := c.itemData(t, "1006")
	data["client"] = jsonNumber("1002")
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1006"}, map[string]any{"data": data})
	for run := 1; run <= 2; run++ {
		sel, _ := selector.Parse("type:clients")
		p, err := Build(Input{Operation: "restore", Source: c.source, Target: c.lt.read(t, "clients", "contracts"),
			Select: SelectRestore(c.source, []selector.Selector{sel}), Same: true, IDs: c.ids})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
		_ = dump
		for _, s := range p.Steps {
			if s.Result != nil && s.Result.Status == StatusFailed {
				t.Logf("failed: %s %s %s %s: %s", s.Kind, s.Key, s.Phase, s.Reason, s.Result.Error)
			}
		}
		if sum[StatusFailed] != 0 {
			t.Errorf("run %d: apply failed steps: %v", run, sum)
		}
	}
	if raw := rawItem(t, c, "contracts", "1006"); !strings.Contains(raw, `"client":1002`) {
		t.Errorf("unselected contract lost its client: %s", raw)
	}
}

// The snapshot's contracts.client is required too (made required after
// contract 1004 lost its client). Restoring type:contracts: the manual
// step must not advise "restore its type", which is what is being done.
func TestManualAdviceWhenTheSnapshotRequiresTheRelation(t *testing.T) {
	opts := fakeapi.Options{RequiredRelations: true}
	c := &liveRestore{lt: newLiveTarget(t, opts, nil), ids: newMemIDs()}
	c.source = c.lt.read(t, "clients", "contracts")
	var fieldID string
	for _, f := range c.source.Children("fields", "contracts") {
		if text(f.Fields()["slug"]) == "client" {
			fieldID = f.ID
		}
	}
	c.do(t, "fields.update", map[string]string{"type": "contracts", "id": fieldID}, map[string]any{"required": false})
	data := c.itemData(t, "1004")
	delete(data, "client")
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": map[string]any{"client": nil}})
	c.do(t, "fields.update", map[string]string{"type": "contracts", "id": fieldID}, map[string]any{"required": true})
	c.source = c.lt.read(t, "clients", "contracts") // snapshot: required, 1004 without client
	data["client"] = jsonNumber("1001")
	c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
	for run := 1; run <= 2; run++ {
		sel, _ := selector.Parse("type:contracts")
		p, err := Build(Input{Operation: "restore", Source: c.source, Target: c.lt.read(t, "clients", "contracts"),
			Select: SelectRestore(c.source, []selector.Selector{sel}), Same: true, IDs: c.ids})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Key == "1004" && s.Phase == PhaseLinks {
				t.Logf("run %d: %s: %s", run, s.Action, s.Reason)
				if s.Action == Manual && strings.Contains(s.Reason, "restore its type") {
					t.Errorf("run %d: restoring type:contracts, the manual step still advises restoring its type: %s", run, s.Reason)
				}
			}
		}
		(&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
	}
}
