package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// The tests of this file restore into the fake server playing the variants
// of the contract (section 6): item updates that merge or replace data,
// field updates that take only the full FieldInput, creates answered
// without the object. What they check is what the target holds after the
// apply, and that a second plan has nothing to write.

// updateVariants are the item update behaviours of a server.
var updateVariants = []struct {
	name string
	set  func(*fakeapi.Options)
}{
	{"merge", func(o *fakeapi.Options) { o.MergeOnUpdate = true }},
	{"replace", func(o *fakeapi.Options) { o.ReplaceOnUpdate = true }},
}

// liveRestore restores a snapshot of acme's clients and contracts, taken
// when the case starts, into acme after a test has changed it.
type liveRestore struct {
	lt     *liveTarget
	source *Set
	ids    *memIDs
}

func newLiveRestore(t *testing.T, opts fakeapi.Options) *liveRestore {
	t.Helper()
	return newLiveRestoreWrapped(t, opts, nil)
}

// newLiveRestoreWrapped is newLiveRestore with the fake behind wrap.
func newLiveRestoreWrapped(t *testing.T, opts fakeapi.Options, wrap func(http.Handler) http.Handler) *liveRestore {
	t.Helper()
	lt := newLiveTarget(t, opts, wrap)
	return &liveRestore{lt: lt, source: lt.read(t, "clients", "contracts"), ids: newMemIDs()}
}

func (c *liveRestore) plan(t *testing.T) *Plan {
	t.Helper()
	p, err := Build(Input{Operation: "restore", Source: c.source, SourceName: "snap", Target: c.lt.read(t, "clients", "contracts"),
		TargetName: "acme", Select: SelectAll(), Same: true, IDs: c.ids})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// apply plans and applies, and fails the test unless every step is done.
func (c *liveRestore) apply(t *testing.T) *Plan {
	t.Helper()
	p := c.plan(t)
	sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
	if err != nil || sum[StatusFailed] != 0 {
		t.Fatalf("apply: %v, %v\n%s", err, sum, dump(p))
	}
	return p
}

// do sends a request to the fake, failing the test on an error.
func (c *liveRestore) do(t *testing.T, route string, params map[string]string, body any) {
	t.Helper()
	if _, err := c.lt.client.Do(context.Background(), route, "acme", params, body); err != nil {
		t.Fatalf("%s %v: %v", route, params, err)
	}
}

// itemData returns the data of a source item.
func (c *liveRestore) itemData(t *testing.T, id string) map[string]any {
	t.Helper()
	o := c.source.ByID(kind.Items, id)
	if o == nil {
		t.Fatalf("no source item %s", id)
	}
	return copyFields(o)["data"].(map[string]any)
}

// converged checks that every source item is in the target with the same
// data (relation values through the id map) and that a new plan writes
// nothing.
func (c *liveRestore) converged(t *testing.T) {
	t.Helper()
	live := c.lt.read(t, "clients", "contracts")
	tid := func(id string) string {
		if n, ok := c.ids.Target(kind.Items, id); ok {
			return n
		}
		return id
	}
	rels := relationFields(c.source)
	for _, o := range c.source.Of(kind.Items) {
		got := live.ByID(kind.Items, tid(o.ID))
		if got == nil {
			t.Errorf("item %s (%s) is not in the target", o.ID, tid(o.ID))
			continue
		}
		want := copyFields(o)["data"].(map[string]any)
		for slug := range rels[o.Parent] {
			if v := want[slug]; v != nil {
				want[slug] = jsonNumber(tid(text(v)))
			}
		}
		have := copyFields(got)["data"].(map[string]any)
		if !jsonv.Equal(nonNull(want), nonNull(have)) {
			t.Errorf("item %s holds %v, want %v", o.Key, have, want)
		}
	}
	if p := c.plan(t); p.Writes() != 0 {
		t.Errorf("a second plan writes %d: %s", p.Writes(), dump(p))
	}
}

func jsonNumber(s string) any {
	v, err := decodeRaw([]byte(s))
	if err != nil {
		return s
	}
	return v
}

// firstItem returns the first source item of a type.
func (c *liveRestore) firstItem(t *testing.T, typ string) *Obj {
	t.Helper()
	items := c.source.Children(kind.Items, typ)
	if len(items) == 0 {
		t.Fatalf("no %s", typ)
	}
	return items[0]
}

// TestRelaxSendsFullField: a restore whose required relations form a cycle
// relaxes the field and sets it back with the field's whole body, which a
// server that validates field updates as the full FieldInput accepts; the
// restored client holds its main contract again, and the field is required
// again.
func TestRelaxSendsFullField(t *testing.T) {
	for _, v := range updateVariants {
		t.Run(v.name, func(t *testing.T) {
			opts := fakeapi.Options{RequiredCycle: true, StrictFieldUpdate: true}
			v.set(&opts)
			c := newLiveRestore(t, opts)
			client := c.firstItem(t, "clients")
			c.do(t, "items.delete", map[string]string{"type": "clients", "id": client.ID}, nil)
			p := c.apply(t)
			relaxed := 0
			for _, s := range p.Steps {
				if s.Phase == PhaseRelax || s.Phase == PhaseRequire {
					relaxed++
				}
			}
			if relaxed != 2 {
				t.Errorf("%d relax and require steps, want 2: %s", relaxed, dump(p))
			}
			c.converged(t)
			for _, f := range c.lt.read(t, "clients").Children(kind.Fields, "clients") {
				if text(f.Fields()["slug"]) == "main_contract" && f.Fields()["required"] != true {
					t.Errorf("clients.main_contract left relaxed: %s", f.Raw)
				}
			}
		})
	}
}

// editData sends an item's data with one key changed, the whole data as a
// user's edit would on either kind of server.
func (c *liveRestore) editData(t *testing.T, typ, id, key string, v any) {
	t.Helper()
	data := c.itemData(t, id)
	data[key] = v
	c.do(t, "items.update", map[string]string{"type": typ, "id": id}, map[string]any{"data": data})
}

// TestRestoreItemsKeepRelations restores contracts whose number a user
// edited, on servers that merge and that replace an item's data on update,
// with contracts.client optional and required: the restored contracts hold
// their number and their client again, one of them pointing at a client
// that was deleted and is recreated, and a second plan writes nothing.
func TestRestoreItemsKeepRelations(t *testing.T) {
	for _, v := range updateVariants {
		for _, required := range []bool{false, true} {
			name := v.name + "/optional"
			if required {
				name = v.name + "/required"
			}
			t.Run(name, func(t *testing.T) {
				opts := fakeapi.Options{RequiredRelations: required}
				v.set(&opts)
				c := newLiveRestore(t, opts)
				contracts := c.source.Children(kind.Items, "contracts")
				edited, relinked := contracts[0], (*Obj)(nil)
				for _, o := range contracts {
					if text(c.itemData(t, o.ID)["client"]) != text(c.itemData(t, edited.ID)["client"]) {
						relinked = o
					}
				}
				if relinked == nil {
					t.Fatal("the demo's contracts have one client")
				}
				client := text(c.itemData(t, relinked.ID)["client"])
				c.editData(t, "contracts", edited.ID, "number", "EDITED-1")
				c.editData(t, "contracts", relinked.ID, "number", "EDITED-2")
				c.do(t, "items.delete", map[string]string{"type": "clients", "id": client}, nil)
				p := c.apply(t)
				for _, id := range []string{edited.ID, relinked.ID} {
					if s := stepFor(t, p, kind.Items, id); s.Action != Update || s.Result == nil || s.Result.Status != StatusDone {
						t.Errorf("contract %s: %s %+v, want an update done", id, s.Action, s.Result)
					}
				}
				if _, ok := c.ids.Target(kind.Items, client); !ok {
					t.Errorf("client %s was not recreated: %s", client, dump(p))
				}
				c.converged(t)
			})
		}
	}
}

// TestRestoreRelinksKeepData restores a deleted client that contracts
// point at, the contracts being otherwise unchanged: the links pass points
// them at the new client and, on a server that replaces an item's data,
// they keep the rest of their data.
func TestRestoreRelinksKeepData(t *testing.T) {
	for _, v := range updateVariants {
		t.Run(v.name, func(t *testing.T) {
			opts := fakeapi.Options{}
			v.set(&opts)
			c := newLiveRestore(t, opts)
			contract := c.firstItem(t, "contracts")
			client := text(c.itemData(t, contract.ID)["client"])
			c.do(t, "items.delete", map[string]string{"type": "clients", "id": client}, nil)
			p := c.apply(t)
			links := 0
			for _, s := range p.Steps {
				if s.Phase == PhaseLinks {
					links++
				}
			}
			if links == 0 {
				t.Errorf("no links step: %s", dump(p))
			}
			c.converged(t)
		})
	}
}

// TestRestoreEditedItemKeepsRelation restores a contract of which a user
// edited only the number: on a server that replaces an item's data the
// update carries the contract's client, so the contract still has it, and
// the answer is checked against it.
func TestRestoreEditedItemKeepsRelation(t *testing.T) {
	for _, v := range updateVariants {
		t.Run(v.name, func(t *testing.T) {
			opts := fakeapi.Options{}
			v.set(&opts)
			c := newLiveRestore(t, opts)
			contract := c.firstItem(t, "contracts")
			c.editData(t, "contracts", contract.ID, "number", "EDITED")
			p := c.apply(t)
			if w := p.Writes(); w != 1 {
				t.Errorf("plan writes %d, want 1 (the contract): %s", w, dump(p))
			}
			c.converged(t)
		})
	}
}

// dropClient is a server that loses the client of a contract update: it
// takes the body without data.client.
func dropClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/contracts/items/") {
			var body map[string]map[string]any
			raw, _ := io.ReadAll(r.Body)
			if json.Unmarshal(raw, &body) == nil {
				delete(body["data"], "client")
				raw, _ = json.Marshal(body)
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			r.ContentLength = int64(len(raw))
		}
		next.ServeHTTP(w, r)
	})
}

// TestRestoreNoticesWipedRelation: a server that replaces an item's data
// and loses its relation value in the update makes the step fail, naming
// the value: the answer is checked against the relation values too, and
// the restore never says done for an item that lost its client.
func TestRestoreNoticesWipedRelation(t *testing.T) {
	c := newLiveRestoreWrapped(t, fakeapi.Options{ReplaceOnUpdate: true}, dropClient)
	contract := c.firstItem(t, "contracts")
	c.editData(t, "contracts", contract.ID, "number", "EDITED")
	p := c.plan(t)
	sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
	if err == nil || sum[StatusFailed] != 1 {
		t.Fatalf("apply: %v, %v; want 1 failed\n%s", err, sum, dump(p))
	}
	s := stepFor(t, p, kind.Items, contract.ID)
	if s.Result == nil || s.Result.Status != StatusFailed || !strings.Contains(s.Result.Error, "data.client") {
		t.Errorf("contract step: %+v, want failed naming data.client", s.Result)
	}
}

// TestCreateAnsweredWithoutObject restores the deleted type contracts
// (the type, its fields and its items) and a deleted client into a server
// that answers every create with 201 and no object (an empty body, an
// array, an object without an id): each create is done, the object found
// in the target, none created twice, and a second plan writes nothing.
func TestCreateAnsweredWithoutObject(t *testing.T) {
	for _, answer := range []string{"empty", "array", "schema"} {
		t.Run(answer, func(t *testing.T) {
			c := newLiveRestore(t, fakeapi.Options{CreateAnswer: answer, MergeOnUpdate: true})
			client := c.firstItem(t, "clients")
			c.do(t, "items.delete", map[string]string{"type": "clients", "id": client.ID}, nil)
			c.do(t, "types.delete", map[string]string{"type": "contracts"}, nil)
			p := c.apply(t)
			creates := 0
			for _, s := range p.Steps {
				if s.Action != Create {
					continue
				}
				creates++
				if s.Result == nil || s.Result.Status != StatusDone || s.Result.TargetID == "" {
					t.Errorf("%s %s: %+v, want done with the object's id", s.Kind, s.Key, s.Result)
				}
			}
			if creates == 0 {
				t.Fatalf("no creates: %s", dump(p))
			}
			c.converged(t)
			live := c.lt.read(t, "clients", "contracts")
			for _, name := range []kind.Name{kind.Types, kind.Fields, kind.Items} {
				if got, want := len(live.Of(name)), len(c.source.Of(name)); got != want {
					t.Errorf("%d %s in the target, want %d", got, name, want)
				}
			}
		})
	}
}

// readIntegrations reads acme's integrations.
func readIntegrations(t *testing.T, lt *liveTarget) *Set {
	t.Helper()
	set := NewSet()
	if _, err := lt.client.List(context.Background(), kind.Of(kind.Integrations), "acme", api.Object{}, func(objs []api.Object) error {
		for _, o := range objs {
			if err := set.Put(o.Kind, o.Parent, o.Key, o.Raw); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return set
}

// TestIntegrationCreateAnsweredWithoutObject copies acme's integrations
// into an empty acme whose server answers POST /workspace-integrations
// with 201 and no object: each integration is created once, found by its
// provider and data, and a second plan and apply write nothing.
func TestIntegrationCreateAnsweredWithoutObject(t *testing.T) {
	for _, answer := range []string{"empty", "schema"} {
		t.Run(answer, func(t *testing.T) {
			source := readIntegrations(t, newLiveTarget(t, fakeapi.Options{}, nil))
			if len(source.Of(kind.Integrations)) == 0 {
				t.Fatal("the demo has no integrations")
			}
			lt := newLiveTarget(t, fakeapi.Options{Data: "empty", CreateAnswer: answer}, nil)
			ids := newMemIDs()
			secrets := secretsOf{"certisign": {"token": "cs-token"}, "sendgrid": {"api_key": "SG.key"}}
			plan := func() *Plan {
				p, err := Build(Input{Operation: "replicate", Source: source, Target: readIntegrations(t, lt), TargetName: "acme",
					Select: SelectAll(), IDs: ids, Secrets: secrets})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			p := plan()
			sum, err := (&Engine{Client: lt.client, Workspace: "acme", IDs: ids, Secrets: secrets}).Apply(context.Background(), p)
			if err != nil || sum[StatusDone] != len(source.Of(kind.Integrations)) {
				t.Fatalf("apply: %v, %v\n%s", err, sum, dump(p))
			}
			if got := len(readIntegrations(t, lt).Of(kind.Integrations)); got != len(source.Of(kind.Integrations)) {
				t.Errorf("%d integrations in the target, want %d", got, len(source.Of(kind.Integrations)))
			}
			if again := plan(); again.Writes() != 0 {
				t.Errorf("a second plan writes %d: %s", again.Writes(), dump(again))
			}
		})
	}
}

// TestLackingRelationLeftAsItIs: a contract's client was deleted and a
// user pointed the contract at another client; the restore's create of
// the deleted client is refused. The contract's update cannot set its
// client, and says it left it as it is, which holds on a server that
// replaces data too: the contract keeps the other client.
func TestLackingRelationLeftAsItIs(t *testing.T) {
	for _, v := range updateVariants {
		t.Run(v.name, func(t *testing.T) {
			opts := fakeapi.Options{}
			v.set(&opts)
			c := newLiveRestore(t, opts)
			contract := c.firstItem(t, "contracts")
			deleted := text(c.itemData(t, contract.ID)["client"])
			other := ""
			for _, o := range c.source.Children(kind.Items, "clients") {
				if o.ID != deleted {
					other = o.ID
				}
			}
			data := c.itemData(t, contract.ID)
			data["client"], data["number"] = jsonNumber(other), "EDITED"
			c.do(t, "items.update", map[string]string{"type": "contracts", "id": contract.ID}, map[string]any{"data": data})
			c.do(t, "items.delete", map[string]string{"type": "clients", "id": deleted}, nil)
			c.lt.srv.SetFaults(fakeapi.Faults{FailRoutes: map[string]int{"items.create": 400}})
			p := c.plan(t)
			if _, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p); err == nil {
				t.Fatal("apply with a refused create succeeded")
			}
			s := stepFor(t, p, kind.Items, contract.ID)
			if s.Result == nil || s.Result.Status != StatusDone || !strings.Contains(s.Result.Note, "left as it is: data.client") {
				t.Errorf("contract step: %+v, want done, its client left as it is", s.Result)
			}
			got := c.lt.read(t, "contracts").ByID(kind.Items, contract.ID).Fields()["data"].(map[string]any)
			if text(got["client"]) != other || got["number"] != c.itemData(t, contract.ID)["number"] {
				t.Errorf("contract holds %v, want client %s and its number restored", got, other)
			}
		})
	}
}

// A relation value the target item has and the source item lacks (added
// in the target since the snapshot) is cleared by the links step: it
// sends the relation field as null, with the item's other data as a
// server that replaces data on update needs, and never takes the item's
// other fields for relation values. A second plan writes nothing.
func TestLinksStepClearsRelationTheSourceLacks(t *testing.T) {
	for _, v := range updateVariants {
		for _, also := range []bool{false, true} {
			t.Run(v.name+map[bool]string{false: "", true: "+number"}[also], func(t *testing.T) {
				opts := fakeapi.Options{}
				v.set(&opts)
				c := &liveRestore{lt: newLiveTarget(t, opts, nil), ids: newMemIDs()}
				if v.name == "replace" {
					// an update without the number is accepted: what a wrong
					// step sends shows in the item, not as a 400
					c.do(t, "fields.update", map[string]string{"type": "contracts", "id": "25"}, map[string]any{"required": false})
				}
				c.source = c.lt.read(t, "clients", "contracts")
				data := c.itemData(t, "1004")
				delete(data, "client")
				c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
				if v.name == "merge" {
					c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": map[string]any{"client": nil}})
				}
				c.source = c.lt.read(t, "clients", "contracts")
				data["client"] = jsonNumber("1001")
				if also {
					data["number"] = "CHANGED"
				}
				c.do(t, "items.update", map[string]string{"type": "contracts", "id": "1004"}, map[string]any{"data": data})
				p := c.plan(t)
				sum, err := (&Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}).Apply(context.Background(), p)
				if err != nil || sum[StatusFailed] != 0 {
					t.Errorf("apply: %v %v\n%s", sum, err, dump(p))
				}
				raw := rawItem(t, c, "contracts", "1004")
				if strings.Contains(raw, `"client":1001`) {
					t.Errorf("the client added in the target was kept: %s", raw)
				}
				if !strings.Contains(raw, `"signed":`) || !strings.Contains(raw, `"value":`) {
					t.Errorf("the item lost its data: %s", raw)
				}
				if also && strings.Contains(raw, "CHANGED") {
					t.Errorf("the number changed in the target was kept: %s", raw)
				}
				if p2 := c.plan(t); p2.Writes() != 0 {
					t.Errorf("second plan writes %d\n%s", p2.Writes(), dump(p2))
				}
			})
		}
	}
}

// A links step that names no relation field (a plan saved by an earlier
// build) is refused: its body holds the item's whole data, and which of
// its fields are relation values the step does not say.
func TestLinksStepWithoutRelationsSendsNothing(t *testing.T) {
	ids := newMemIDs()
	ids.ids["items/1001"] = "5001"
	p := &Plan{Steps: []*Step{{Kind: kind.Items, Parent: "contracts", TargetParent: "contracts", Key: "1061", SourceID: "1061", TargetID: "1061",
		Action: Update, Phase: PhaseLinks, Body: json.RawMessage(`{"data":{"number":"C-1","signed":true}}`)}}}
	c := &echoClient{}
	if _, err := (&Engine{Client: c, Workspace: "acme", IDs: ids}).Apply(context.Background(), p); err == nil {
		t.Errorf("apply of a links step without relations: no error (%+v)", p.Steps[0].Result)
	}
	if got := c.requests(); got != "" {
		t.Errorf("sent %s", got)
	}
}

// rawItem reads an item of the target as the server answers it.
func rawItem(t *testing.T, c *liveRestore, typ, id string) string {
	t.Helper()
	raw, err := c.lt.client.Do(context.Background(), "items.get", "acme", map[string]string{"type": typ, "id": id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
