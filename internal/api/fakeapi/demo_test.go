package fakeapi

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDemoProduction(t *testing.T) {
	s := newServer(t, Options{Seed: 7})
	if got := strings.Join(s.Workspaces(), ","); got != "acme,acme-stage" {
		t.Fatalf("workspaces %s", got)
	}
	var types []typeView
	mustJSON(t, get(t, s, "acme", "/ws/types"), &types)
	var slugs []string
	for _, ty := range types {
		slugs = append(slugs, ty.Slug)
	}
	if strings.Join(slugs, ",") != "clients,contracts,invoices" {
		t.Errorf("types %v", slugs)
	}
	fieldTypes := map[string]bool{}
	var contracts []fieldView
	mustJSON(t, get(t, s, "acme", "/ws/types/contracts/fields"), &contracts)
	required := 0
	for _, f := range contracts {
		fieldTypes[f.Type] = true
		if f.Required {
			required++
		}
		if f.Slug == "client" && (f.Type != "relation" || string(f.Options) != `{"type":"clients","multiple":false}`) {
			t.Errorf("contracts.client %+v", f)
		}
	}
	for _, ft := range []string{"text", "number", "date", "select", "boolean", "relation"} {
		if !fieldTypes[ft] {
			t.Errorf("contracts has no %s field", ft)
		}
	}
	if required != 1 {
		t.Errorf("%d required contract fields", required)
	}
	var invoices []fieldView
	mustJSON(t, get(t, s, "acme", "/ws/types/invoices/fields"), &invoices)
	if invoices[1].Slug != "contract" || !strings.Contains(string(invoices[1].Options), `"contracts"`) {
		t.Errorf("invoices.contract %+v", invoices[1])
	}
	c := s.Workspace("acme").Counts()
	if c.Items < 200 || c.Members < 5 || c.Roles != 3 || c.MemberGroups != 2 || c.QuickTasks != 3 ||
		c.Flows != 1 || c.Stages != 2 || c.Forms != 1 || c.ScheduleTasks != 1 || c.Integrations != 2 {
		t.Errorf("counts %+v", c)
	}
	owners := 0
	for _, m := range list(t, s, "acme", "/ws/members") {
		if m["type"] == "owner" {
			owners++
		}
		if !strings.HasSuffix(m["email"].(string), "@acme.com") {
			t.Errorf("email %v", m["email"])
		}
	}
	if owners != 1 {
		t.Errorf("%d owners", owners)
	}
	body := string(get(t, s, "acme", "/ws/roles"))
	if !strings.Contains(body, `"entity":"contracts"`) {
		t.Error("no permission on contracts")
	}
	qts := list(t, s, "acme", "/ws/quick-tasks")
	if item, _ := qts[0]["item"].(map[string]any); item == nil || item["type"] != "contracts" {
		t.Errorf("first quick task item %v", qts[0]["item"])
	}
	var tasks []taskView
	mustJSON(t, get(t, s, "acme", "/c-flow-tasks?stage=1"), &tasks)
	more := []taskView{}
	mustJSON(t, get(t, s, "acme", "/c-flow-tasks?stage=2"), &more)
	tasks = append(tasks, more...)
	actions := map[string]bool{}
	for _, k := range tasks {
		actions[k.Action] = true
		if k.Action == "use_integration" && k.Integration == nil || k.Action == "form_fill" && k.Form == nil {
			t.Errorf("task %+v lacks its reference", k)
		}
	}
	if !actions["use_integration"] || !actions["form_fill"] {
		t.Errorf("task actions %v", actions)
	}
	sched := list(t, s, "acme", "/c-schedule-tasks")[0]
	if sched["type"] != "contracts" || sched["reference_field"] != "end_date" {
		t.Errorf("schedule task %v", sched)
	}
	var integ []integrationView
	mustJSON(t, get(t, s, "acme", "/workspace-integrations"), &integ)
	for i, want := range []string{"certisign", "sendgrid"} {
		if integ[i].Integration.Slug != want || !strings.Contains(string(integ[i].Data), `"environment":"production"`) {
			t.Errorf("integration %d: %s %s", i, integ[i].Integration.Slug, integ[i].Data)
		}
	}
	if !bytes.Contains(get(t, s, "acme", "/ws/types/clients/items?limit=100"), []byte("São Paulo")) {
		t.Error("no unicode city among clients")
	}
}

func TestDemoStageIsAhead(t *testing.T) {
	s := newServer(t, Options{})
	prod, stage := s.Workspace("acme").Counts(), s.Workspace("acme-stage").Counts()
	if stage.Types != prod.Types+1 || stage.Fields <= prod.Fields+3 || stage.Items >= prod.Items {
		t.Errorf("prod %+v\nstage %+v", prod, stage)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/types/suppliers", ws: "acme-stage"}); a.status != 200 {
		t.Errorf("stage suppliers: %d", a.status)
	}
	if n, m := len(list(t, s, "acme", "/ws/types/contracts/fields")), len(list(t, s, "acme-stage", "/ws/types/contracts/fields")); m != n+1 {
		t.Errorf("contract fields: prod %d, stage %d", n, m)
	}
	rules := func(ws string) string {
		var roles []roleView
		mustJSON(t, get(t, s, ws, "/ws/roles"), &roles)
		for _, p := range roles[0].Permissions {
			if p.Entity == "contracts" && p.Action == "read" {
				return string(p.Rules)
			}
		}
		return ""
	}
	if rules("acme") == rules("acme-stage") {
		t.Errorf("analyst permission is the same on both: %s", rules("acme"))
	}
	if !strings.Contains(string(get(t, s, "acme-stage", "/workspace-integrations")), `"environment":"stage"`) {
		t.Error("stage integrations are not set to stage")
	}
}

func TestDemoItemsOption(t *testing.T) {
	s := newServer(t, Options{Items: 7})
	for _, ty := range []string{"clients", "contracts", "invoices"} {
		if got := countOf(t, s, "acme", "/ws/types/"+ty+"/items/count"); got != 7 {
			t.Errorf("%s: %d items", ty, got)
		}
	}
	if got := countOf(t, s, "acme-stage", "/ws/types/clients/items/count"); got != 1 {
		t.Errorf("stage clients: %d", got)
	}
	e := newServer(t, Options{Data: "empty"})
	for _, ws := range e.Workspaces() {
		c := e.Workspace(ws).Counts()
		if c != (Counts{Members: 1}) {
			t.Errorf("empty %s: %+v", ws, c)
		}
	}
	if _, err := New(Options{Data: "full"}); err == nil {
		t.Error("unknown data set accepted")
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	paths := []string{"/ws/types", "/ws/types/contracts/items?limit=100&page=1", "/ws/members", "/c-flow-stages/1"}
	a, b := newServer(t, Options{Seed: 42}), newServer(t, Options{Seed: 42, Now: func() time.Time { return testNow.Add(time.Hour) }})
	c := newServer(t, Options{Seed: 43})
	for _, p := range paths {
		if x, y := get(t, a, "acme", p), get(t, b, "acme", p); !bytes.Equal(x, y) {
			t.Errorf("GET %s differs between two servers of the same seed", p)
		}
	}
	if bytes.Equal(get(t, a, "acme", paths[1]), get(t, c, "acme", paths[1])) {
		t.Error("another seed answers the same items")
	}
}
