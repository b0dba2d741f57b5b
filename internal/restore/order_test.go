package restore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var (
	fieldClientRequired = [4]string{"fields", "contracts", "26", `{"id":26,"name":"Client","slug":"client","type":"relation","required":true,"options":{"type":"clients","multiple":false},"position":1,"active":true}`}
	typeInvoices        = [4]string{"types", "", "invoices", `{"id":8,"name":"Invoices","slug":"invoices","description":"","icon":"r","color":"#000","settings":{}}`}
	fieldInvNumber      = [4]string{"fields", "invoices", "30", `{"id":30,"name":"Number","slug":"number","type":"text","required":true,"options":null,"position":0,"active":true}`}
	fieldInvContract    = [4]string{"fields", "invoices", "31", `{"id":31,"name":"Contract","slug":"contract","type":"relation","required":false,"options":{"type":"contracts","multiple":false},"position":1,"active":true}`}
	fieldClientName     = [4]string{"fields", "clients", "20", `{"id":20,"name":"Name","slug":"name","type":"text","required":true,"options":null,"position":0,"active":true}`}
)

// TestBuildRequiredRelationsPointBackwards: into an empty workspace,
// clients are created before contracts (contracts.client is required), a
// contract's create carries its client, and only the optional
// invoices.contract waits for the links pass.
func TestBuildRequiredRelationsPointBackwards(t *testing.T) {
	source := setOf(t, typeClients, typeContracts, typeInvoices, fieldClientName, fieldNumber, fieldClientRequired,
		fieldInvNumber, fieldInvContract,
		item(1001, "clients", `{"name":"A"}`), item(1061, "contracts", `{"number":"C-1","client":1001}`),
		item(1151, "invoices", `{"number":"I-1","contract":1061}`))
	p, err := Build(Input{Operation: "replicate", Source: source, Target: NewSet(), Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	client, contract, invoice := stepFor(t, p, "items", "1001"), stepFor(t, p, "items", "1061"), stepFor(t, p, "items", "1151")
	if !(client.Level < contract.Level) {
		t.Errorf("client at level %d, contract at %d: want the client first", client.Level, contract.Level)
	}
	if invoice.Level != client.Level {
		t.Errorf("invoice at level %d, want %d with the clients (its relation is optional)", invoice.Level, client.Level)
	}
	if string(contract.Body) != `{"data":{"client":1001,"number":"C-1"}}` {
		t.Errorf("contract created with %s, want its client", contract.Body)
	}
	if string(invoice.Body) != `{"data":{"number":"I-1"}}` {
		t.Errorf("invoice created with %s, want plain values (its contract is created later)", invoice.Body)
	}
	var links []string
	for _, s := range p.Steps {
		if s.Phase == PhaseLinks {
			links = append(links, s.Key+" "+string(s.Body))
			if s.Level <= contract.Level {
				t.Errorf("links of %s at level %d, want after the contracts (%d)", s.Key, s.Level, contract.Level)
			}
		}
	}
	if strings.Join(links, "|") != `1151 {"data":{"contract":1061,"number":"I-1"}}` {
		t.Errorf("links steps %q, want only the invoice's, with its whole data", links)
	}
	for i := 1; i < len(p.Steps); i++ {
		if p.Steps[i].Level < p.Steps[i-1].Level {
			t.Fatalf("steps out of order at %d", i)
		}
	}
}

// TestBuildWithoutRequiredRelationsKeepsLevels: without required relations
// the levels are those of the kind table's apply order.
func TestBuildWithoutRequiredRelationsKeepsLevels(t *testing.T) {
	source := setOf(t, typeClients, typeContracts, fieldNumber, fieldClient,
		item(1001, "clients", `{}`), item(1061, "contracts", `{"number":"C-1","client":1001}`))
	p, err := Build(Input{Operation: "replicate", Source: source, Target: NewSet(), Select: SelectAll(), IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := newLevels()
	for _, key := range []string{"1001", "1061"} {
		if s := stepFor(t, p, "items", key); s.Level != lv.kind("items") {
			t.Errorf("item %s at level %d, want %d", key, s.Level, lv.kind("items"))
		}
	}
}

// TestItemOrderCycle: a cycle of required relations is broken by relaxing
// one field; the others point backwards.
func TestItemOrderCycle(t *testing.T) {
	source := setOf(t, typeClients, typeContracts,
		fieldClientRequired,
		[4]string{"fields", "clients", "21", `{"id":21,"name":"Main contract","slug":"main_contract","type":"relation","required":true,"options":{"type":"contracts"},"position":1,"active":true}`})
	o := newItemOrder(source)
	if len(o.relaxed) != 1 || o.relaxed[0].Type != "clients" || o.relaxed[0].Slug != "main_contract" {
		t.Fatalf("relaxed %+v, want clients.main_contract", o.relaxed)
	}
	if o.rank["clients"] != 0 || o.rank["contracts"] != 1 {
		t.Errorf("ranks %v, want clients 0, contracts 1", o.rank)
	}
}

// TestApplyLeavesLinksToFailedCreates: when a contract's create fails, an
// invoice's link to it is not written (no null over what the target has),
// and its step says why.
func TestApplyLeavesLinksToFailedCreates(t *testing.T) {
	source := setOf(t, typeContracts, typeInvoices, fieldNumber, fieldInvNumber, fieldInvContract,
		item(1061, "contracts", `{"number":"C-1"}`), item(1151, "invoices", `{"number":"I-1","contract":1061}`))
	target := setOf(t, typeContracts, typeInvoices, fieldNumber, fieldInvNumber, fieldInvContract,
		item(1151, "invoices", `{"number":"I-1","contract":1061}`))
	cl := newMemClient()
	cl.refuse["items.create"] = "data.client should not be empty"
	ids := newMemIDs()
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: ids, Same: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids}).Apply(context.Background(), p); !errors.Is(err, ErrApplyFailed) {
		t.Fatalf("apply: %v, want ErrApplyFailed", err)
	}
	if cl.sent["items.update"] != 0 {
		t.Errorf("items.update sent %d times, want none", cl.sent["items.update"])
	}
	var link *Step
	for _, s := range p.Steps {
		if s.Phase == PhaseLinks && s.Key == "1151" {
			link = s
		}
	}
	if link == nil {
		t.Fatalf("no links step for the invoice: %s", dump(p))
	}
	if link.Result.Status != StatusFailed || !strings.Contains(link.Result.Error, "left as it is: data.contract (item 1061 not in the target)") {
		t.Errorf("invoice link result %+v", link.Result)
	}
}
