package restore

import (
	"context"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// An id map entry whose target object is gone (restored once, then
// deleted again) is stale: the plan creates the object, and the engine
// sends the create instead of calling it "created by an earlier apply".
// An entry written after the plan was made (an apply stopped halfway) is
// used as it is: nothing is created twice.
func TestApplyCreatesOverStaleIDMapEntries(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"A"}`), item(1002, "clients", `{"name":"B"}`))
	ids := newMemIDs()
	ids.ids["types/6"] = "60"      // gone from the target
	ids.ids["items/1001"] = "5001" // gone
	ids.ids["items/1002"] = "5002" // gone
	p := planFor(t, source, NewSet(), ids)
	for _, key := range []string{"1001", "1002"} {
		if s := stepFor(t, p, kind.Items, key); s.Action != Create {
			t.Fatalf("item %s: %s, want create", key, s.Action)
		}
	}
	if p.Stale["items/1001"] != "5001" || p.Stale["types/6"] != "60" {
		t.Errorf("plan's stale entries %v", p.Stale)
	}
	// Item 1002 was created by an apply of this plan that stopped.
	ids.ids["items/1002"] = "777"
	cl := newMemClient()
	e := &Engine{Client: cl, Workspace: "acme", IDs: ids}
	if _, err := e.Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v\n%s", err, dump(p))
	}
	if cl.sent["types.create"] != 1 || cl.sent["items.create"] != 1 {
		t.Errorf("sent %v, want the type's create and item 1001's", cl.sent)
	}
	created := stepFor(t, p, kind.Items, "1001").Result
	if created.Note != "" || created.TargetID == "5001" {
		t.Errorf("item 1001: %+v, want created anew", created)
	}
	if got, _ := ids.Target(kind.Items, "1001"); got != created.TargetID {
		t.Errorf("id map items/1001 = %s, want the new id %s", got, created.TargetID)
	}
	if r := stepFor(t, p, kind.Items, "1002").Result; r.TargetID != "777" || r.Note != "created by an earlier apply" {
		t.Errorf("item 1002: %+v, want the entry written after planning", r)
	}
}

// References are translated through the plan's own resolution before the
// id map: a stale entry never names the target object of a reference the
// plan resolved elsewhere.
func TestApplyTranslatesThroughThePlanFirst(t *testing.T) {
	ids := newMemIDs()
	ids.ids["items/1001"] = "5001" // stale: the plan found 6001 for it
	p := &Plan{Refs: map[string]string{"items/1001": "6001"}, Stale: map[string]string{"items/1001": "5001"}}
	e := &Engine{IDs: ids, plan: p, stale: p.Stale}
	if id, ok := e.target(kind.Items, "1001"); !ok || id != "6001" {
		t.Errorf("target of item 1001: %s %v, want the plan's 6001", id, ok)
	}
	p.Refs = nil
	if id, ok := e.target(kind.Items, "1001"); ok {
		t.Errorf("target of item 1001: %s, want none: the entry is stale", id)
	}
}

// A role deleted and re-created by a person is matched again by its slug:
// a member's role is sent as the role the plan matched, not as the id map's
// entry for the deleted one, also when the role itself is not part of the
// plan (replicate --only members).
func TestApplyPrefersTheMatchOverAStaleEntry(t *testing.T) {
	source := setOf(t,
		[4]string{"roles", "", "5", `{"id":5,"name":"Sales","slug":"sales","description":"","permissions":[]}`},
		[4]string{"members", "", "1", `{"id":1,"email":"a@acme.com","name":"A","type":"member","role":5,"status":"active"}`},
	)
	target := setOf(t,
		[4]string{"roles", "", "12", `{"id":12,"name":"Sales","slug":"sales","description":"","permissions":[]}`},
		[4]string{"roles", "", "13", `{"id":13,"name":"Other","slug":"other","description":"","permissions":[]}`},
		[4]string{"members", "", "40", `{"id":40,"email":"a@acme.com","name":"A","type":"member","role":13,"status":"active"}`},
	)
	ids := newMemIDs()
	ids.ids["roles/5"] = "11" // the deleted role
	members := Selection{Objects: func(o *Obj) bool { return o.Kind == kind.Members }}
	p, err := Build(Input{Operation: "replicate", Source: source, Target: target, Select: members, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if s := stepFor(t, p, kind.Members, "1"); s.Action != Update {
		t.Fatalf("member: %s (%s), want update", s.Action, s.Reason)
	}
	c := &echoClient{}
	e := &Engine{Client: c, Workspace: "acme", IDs: ids}
	if _, err := e.Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v\n%s", err, dump(p))
	}
	if got := c.requests(); !strings.Contains(got, `members.update {`) || !strings.Contains(got, `"role":12`) {
		t.Errorf("sent:\n%s\nwant the member's role as 12", got)
	}
}

// A type renamed in the target is matched through the id map, but the
// target is read by the source's slugs (Scope.Types), so the renamed
// type's items are not read. Their id map entries are not stale (the
// target was not read where they point): the engine answers "created by
// an earlier apply" and sends no create beside the existing item.
func TestRenamedTypeItemsNotReadAreNotCreatedAgain(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"A"}`))
	target := setOf(t, [4]string{"types", "", "clients-renamed", `{"id":60,"name":"Clients","slug":"clients-renamed","description":"","icon":"users","color":"#000","settings":{}}`})
	sc := Scope{Kinds: PlannedKinds(), Types: []string{"clients"}}
	if sc.Includes(kind.Items, "clients-renamed") {
		t.Fatal("scope reads the renamed type's items")
	}
	ids := newMemIDs()
	ids.ids["types/6"] = "60"
	ids.ids["items/1001"] = "5001" // exists in the target, under clients-renamed
	p, err := Build(Input{Operation: "restore", Source: source, Target: target, Select: SelectAll(), IDs: ids, Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stale) != 0 {
		t.Errorf("stale entries %v: the target was not read where they point", p.Stale)
	}
	cl := newMemClient()
	e := &Engine{Client: cl, Workspace: "acme", IDs: ids}
	_, _ = e.Apply(context.Background(), p)
	if cl.sent["items.create"] != 0 {
		t.Errorf("items.create sent %d times; item 1001 exists as 5001 (not read): a duplicate\n%s", cl.sent["items.create"], dump(p))
	}
}
