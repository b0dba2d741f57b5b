package restore

import (
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

var (
	typeContracts = [4]string{"types", "", "contracts", `{"id":7,"name":"Contracts","slug":"contracts","description":"","icon":"file","color":"#3366ff","settings":{}}`}
	typeClients   = [4]string{"types", "", "clients", `{"id":6,"name":"Clients","slug":"clients","description":"","icon":"users","color":"#000","settings":{}}`}
	fieldNumber   = [4]string{"fields", "contracts", "25", `{"id":25,"name":"Number","slug":"number","type":"text","required":true,"options":null,"position":0,"active":true}`}
	fieldClient   = [4]string{"fields", "contracts", "26", `{"id":26,"name":"Client","slug":"client","type":"relation","required":false,"options":{"type":"clients","multiple":false},"position":1,"active":true}`}
)

func TestBuildOrdersByReferences(t *testing.T) {
	source := setOf(t, typeContracts, typeClients, fieldNumber, fieldClient,
		item(1001, "clients", `{}`), item(1061, "contracts", `{"number":"C-1","client":1001}`))
	target := setOf(t, typeClients, item(5001, "clients", `{}`))
	ids := newMemIDs()
	ids.ids["items/1001"] = "5001" // restored before
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range p.Steps {
		if s.Action != Skip {
			order = append(order, string(s.Action)+" "+s.Kind+" "+s.Key+" "+s.Phase)
		}
	}
	// The client exists in the target: the create carries it, and no
	// links pass is needed.
	want := []string{"create types contracts ", "create fields 25 ", "create fields 26 ",
		"create items 1061 "}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("steps:\n got %q\nwant %q", order, want)
	}
	create := stepFor(t, p, "items", "1061")
	if got := string(create.Body); got != `{"data":{"client":1001,"number":"C-1"}}` || strings.Join(create.Relations, ",") != "client" {
		t.Errorf("item created with %s (relations %v), want its client too (a source id)", got, create.Relations)
	}
	if c := stepFor(t, p, "items", "1001"); c.Action != Skip || c.Match != "id map" || c.TargetID != "5001" {
		t.Errorf("item 1001: %s %q %s, want skip by id map as 5001", c.Action, c.Match, c.TargetID)
	}
}

func TestBuildManualCases(t *testing.T) {
	source := setOf(t,
		[4]string{"members", "", "12", `{"id":12,"email":"owner@acme.com","type":"owner","role":null,"status":"active"}`},
		[4]string{"integrations", "", "75", `{"id":75,"data":{"environment":"stage"},"integration":{"id":1,"slug":"certisign","name":"Certisign"},"status":"active"}`},
		[4]string{"integrations", "", "76", `{"id":76,"data":{"environment":"stage","from_email":"a@b.c"},"integration":{"id":4,"slug":"sendgrid","name":"Sendgrid"},"status":"active"}`},
		[4]string{"flows", "contracts", "4", `{"id":4,"name":"Approval","status":"active"}`},
		item(1061, "contracts", `{"number":"C-1"}`),
	)
	target := setOf(t, [4]string{"members", "", "90", `{"id":90,"email":"other@acme.com","type":"owner","role":null,"status":"active"}`})
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(),
		IDs: newMemIDs(), Secrets: secretsOf{"certisign": {"token": "s3cret"}}, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind, key string
		action    Action
		reason    string
	}{
		{"members", "12", Manual, "the owner cannot be created or changed through the API"},
		{"integrations", "75", Create, "secret token from environments.prod.secrets.certisign"},
		{"integrations", "76", Manual, "needs its secret api_key re-entered: set environments.prod.secrets.sendgrid.api_key"},
		{"flows", "4", Manual, "the API cannot create flows"},
		{"items", "1061", Manual, "its type contracts is missing in the target and not part of this plan (restore type:contracts first)"},
	}
	for _, c := range cases {
		s := stepFor(t, p, c.kind, c.key)
		if s.Action != c.action || !strings.Contains(s.Reason, c.reason) {
			t.Errorf("%s %s: %s %q, want %s containing %q", c.kind, c.key, s.Action, s.Reason, c.action, c.reason)
		}
	}
	cs := stepFor(t, p, "integrations", "75")
	if string(cs.Body) != `{"data":{"environment":"production"},"integration":1}` {
		t.Errorf("integration body %s: want the provider id and the target's environment", cs.Body)
	}
	if strings.Contains(dump(p), "s3cret") {
		t.Error("the plan holds a secret's value")
	}
	if len(cs.Secrets) != 1 || cs.Secrets[0] != "certisign.token" {
		t.Errorf("secrets %v, want [certisign.token]", cs.Secrets)
	}
}

func TestBuildMatchesAndCompares(t *testing.T) {
	source := setOf(t, typeContracts, fieldNumber,
		[4]string{"roles", "", "5", `{"id":5,"name":"Analyst","slug":"analyst","description":"x","permissions":[{"id":1,"entity":"contracts","action":"read","rules":{}},{"id":2,"entity":"clients","action":"read","rules":{"own":true}}]}`},
		[4]string{"members", "", "13", `{"id":13,"email":"Ana@Acme.com","type":"standard","role":5,"status":"active","user":{"id":9}}`},
	)
	target := setOf(t,
		[4]string{"types", "", "contracts", `{"id":70,"name":"Contracts","slug":"contracts","description":"","icon":"file","color":"#3366ff","settings":{},"created_at":"x"}`},
		[4]string{"fields", "contracts", "250", `{"id":250,"name":"Number (renamed)","slug":"number","type":"text","required":true,"options":null,"position":0,"active":true}`},
		[4]string{"roles", "", "50", `{"id":50,"name":"Analyst","slug":"analyst","description":"x","permissions":[{"id":9,"entity":"clients","action":"read","rules":{}},{"id":10,"entity":"invoices","action":"read","rules":{}}]}`},
		[4]string{"members", "", "130", `{"id":130,"email":"ana@acme.com","type":"standard","role":50,"status":"active","user":{"id":99}}`},
	)
	p, err := Build(Input{Operation: "replicate", Source: source, Target: target, Select: SelectAll(), IDs: newMemIDs(),
		Prune: true, PruneKinds: []string{"roles"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, "types", "contracts"); s.Action != Skip || s.Match != "slug contracts" {
		t.Errorf("type: %s %q, want skip matched by slug (server-assigned fields ignored)", s.Action, s.Match)
	}
	if s := stepFor(t, p, "fields", "25"); s.Action != Update || s.TargetID != "250" || strings.Join(s.Changes, ",") != "name" {
		t.Errorf("field: %s %s %v, want update of 250 in name", s.Action, s.TargetID, s.Changes)
	}
	if s := stepFor(t, p, "members", "13"); s.Action != Skip || s.Match != "email Ana@Acme.com" {
		t.Errorf("member: %s %q, want skip (role 5 is role 50 there; e-mail case ignored)", s.Action, s.Match)
	}
	perm := stepFor(t, p, KindPermissions, "5")
	want := "adds read on contracts; changes the rules of read on clients; removes read on invoices"
	if perm.Action != Update || perm.Reason != want {
		t.Errorf("permissions: %s %q, want update %q", perm.Action, perm.Reason, want)
	}
	if string(perm.Body) != `{"add":[{"entity":"contracts","action":"read","rules":{}},{"entity":"clients","action":"read","rules":{"own":true}}],"remove":["9","10"]}` {
		t.Errorf("permissions body %s", perm.Body)
	}
}

func TestBuildPendingAndPrune(t *testing.T) {
	source := setOf(t, typeContracts)
	target := setOf(t,
		[4]string{"types", "", "old", `{"id":80,"name":"Old","slug":"old"}`},
		[4]string{"fields", "old", "81", `{"id":81,"name":"A","slug":"a","type":"text"}`},
	)
	ids := newMemIDs()
	ids.pending["types/7"] = true
	p, err := Build(Input{Operation: "replicate", Source: source, Target: target, Select: SelectAll(), IDs: ids,
		Prune: true, PruneKinds: []string{"types", "fields"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, "types", "contracts"); s.Action != Create || !s.Lookup {
		t.Errorf("pending create: %s lookup=%v, want create with a lookup first", s.Action, s.Lookup)
	}
	lv, _ := newLevels()
	if s := stepFor(t, p, "types", "old"); s.Action != Delete || s.Level != lv.deletes {
		t.Errorf("old type: %s at level %d, want delete last", s.Action, s.Level)
	}
	for _, s := range p.Steps {
		if s.Kind == kind.Fields {
			t.Errorf("field of a deleted type planned on its own: %+v", s)
		}
	}
}

func TestBuildRefusesPartialTarget(t *testing.T) {
	target := NewSet()
	target.Fail("members", errString("500 Internal Server Error"))
	_, err := Build(Input{Source: NewSet(), Target: target, Select: SelectAll()})
	if err == nil || !strings.Contains(err.Error(), "members of the target could not be read") {
		t.Errorf("err = %v, want a refusal naming members", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// A role missing in the target gets a manual permissions step; the roles
// after it still get theirs (restoring type:contracts into a workspace that
// lost the type and one role).
func TestPermissionsPlannedForRolesAfterMissingRole(t *testing.T) {
	source := setOf(t,
		[4]string{"types", "", "contracts", `{"id":8,"name":"Contracts","slug":"contracts"}`},
		[4]string{"roles", "", "1", `{"id":1,"name":"Admin","slug":"admin","permissions":[{"id":31,"entity":"contracts","action":"read","rules":{}}]}`},
		[4]string{"roles", "", "2", `{"id":2,"name":"Analyst","slug":"analyst","permissions":[{"id":32,"entity":"contracts","action":"read","rules":{}}]}`},
		[4]string{"roles", "", "3", `{"id":3,"name":"Viewer","slug":"viewer","permissions":[{"id":33,"entity":"contracts","action":"read","rules":{}}]}`},
	)
	target := setOf(t,
		[4]string{"roles", "", "2", `{"id":2,"name":"Analyst","slug":"analyst","permissions":[]}`},
		[4]string{"roles", "", "3", `{"id":3,"name":"Viewer","slug":"viewer","permissions":[]}`},
	)
	sel, err := selector.Parse("type:contracts")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectRestore(source, []selector.Selector{sel}), Same: true, IDs: newMemIDs()})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]Action{}
	for _, s := range p.Steps {
		if s.Kind == KindPermissions {
			seen[s.Key] = s.Action
		}
	}
	want := map[string]Action{"1": Manual, "2": Update, "3": Update}
	for key, a := range want {
		if seen[key] != a {
			t.Errorf("permissions step of role %s: %q, want %q (all: %v)", key, seen[key], a, seen)
		}
	}
}
