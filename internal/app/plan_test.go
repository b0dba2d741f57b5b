package app

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestPlanOneItemRequests: planning the restore of one item sends the same
// handful of requests to a workspace of 600 items as to one of 6,000: the
// item and the client it points at are read by id, nothing is listed by
// the workspace's size.
func TestPlanOneItemRequests(t *testing.T) {
	const most = 30
	var counts []int64
	for _, perType := range []int{200, 2_000} {
		f := newPlanFixture(t, perType)
		steps, requests := f.plan(t, "item:contracts/"+f.contract)
		if steps != 1 {
			t.Errorf("%d items per type: %d steps, want 1 (the contract, equal)", perType, steps)
		}
		if requests > most {
			t.Errorf("%d items per type: the plan sent %d requests, want at most %d", perType, requests, most)
		}
		counts = append(counts, requests)
	}
	if counts[0] != counts[1] {
		t.Errorf("requests at 600 items: %d, at 6,000: %d; want the same", counts[0], counts[1])
	}
}

// TestPlanReadsOnlyWhatMatters: a plan that reads only the selected part of
// the snapshot and of the target has the same steps and references as one
// built from the whole snapshot against the whole target, after the
// target changed: a contract deleted, its client and another contract
// changed. Into the same workspace and into another (through the id
// map, empty: everything is created there).
func TestPlanReadsOnlyWhatMatters(t *testing.T) {
	f := newPlanFixture(t, 400) // > byIDLimit clients are referenced by type:contracts
	ctx := context.Background()
	ws, err := f.svc.Workspace("acme", "test")
	if err != nil {
		t.Fatal(err)
	}
	client, err := f.svc.Client(ws)
	if err != nil {
		t.Fatal(err)
	}
	raw, ok, err := f.db.Lookup(f.snap, "items/contracts", f.contract)
	if err != nil || !ok {
		t.Fatalf("contract %s: %v %v", f.contract, ok, err)
	}
	var contract struct {
		Data struct {
			Client json.Number `json:"client"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &contract); err != nil || contract.Data.Client == "" {
		t.Fatalf("contract %s has no client: %s", f.contract, raw)
	}
	second := ""
	errStop := errors.New("stop")
	_ = f.db.Walk(f.snap, "items/contracts", func(key string, _ snapshot.Hash) error {
		if key != f.contract {
			second = key
			return errStop
		}
		return nil
	})
	change := func(route, slug, id string, body any) {
		t.Helper()
		if _, err := client.Do(ctx, route, ws.Slug, map[string]string{"type": slug, "id": id}, body); err != nil {
			t.Fatalf("%s %s/%s: %v", route, slug, id, err)
		}
	}
	change("items.delete", "contracts", f.contract, nil)
	change("items.update", "clients", contract.Data.Client.String(), map[string]any{"data": map[string]any{"name": "Renamed client"}})
	change("items.update", "contracts", second, map[string]any{"data": map[string]any{"number": "CHANGED-1"}})

	for _, tc := range []struct{ sel, to string }{
		{"item:contracts/" + f.contract, ""},
		{"item:contracts/" + second, ""},
		{"item:clients/" + contract.Data.Client.String(), ""},
		{"type:contracts", ""},
		{"type:clients", ""},
		{"members", ""},
		{"quick-tasks", ""},
		{"item:contracts/" + f.contract, "stage"},
		{"type:contracts", "stage"},
	} {
		t.Run(tc.sel+">"+tc.to, func(t *testing.T) {
			sel, err := selector.Parse(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.PlanRestore(ctx, RestoreRequest{Workspace: "acme", To: tc.to, Selectors: []selector.Selector{sel}})
			if err != nil {
				t.Fatal(err)
			}
			want := f.wholePlan(t, tc.to, sel)
			if diff := cmp.Diff(stepsJSON(t, want), stepsJSON(t, got.Plan)); diff != "" {
				t.Errorf("steps differ from the plan read whole (-whole +selective):\n%s", diff)
			}
			if diff := cmp.Diff(want.Refs, got.Plan.Refs); diff != "" {
				t.Errorf("refs differ from the plan read whole (-whole +selective):\n%s", diff)
			}
		})
	}
}

// TestSavedOneItemPlanChecksItsItems: a saved one-item plan is loaded again
// while the items it read are unchanged, and refused once the client its
// contract points at changed.
func TestSavedOneItemPlanChecksItsItems(t *testing.T) {
	f := newPlanFixture(t, 100)
	ctx := context.Background()
	sel, _ := selector.Parse("item:contracts/" + f.contract)
	ws, _ := f.svc.Workspace("acme", "test")
	client, err := f.svc.Client(ws)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Do(ctx, "items.delete", ws.Slug, map[string]string{"type": "contracts", "id": f.contract}, nil); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.PlanRestore(ctx, RestoreRequest{Workspace: "acme", Selectors: []selector.Selector{sel}})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Plan.Counts(); c[restore.Create] != 1 {
		t.Fatalf("plan %v, want one create", c)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := SavePlan(path, p.Plan); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LoadPlan(ctx, path); err != nil {
		t.Fatalf("load the plan of an unchanged target: %v", err)
	}
	var clientID string
	for k, v := range p.Plan.Refs {
		if k[:len("items/")] == "items/" {
			clientID = v
		}
	}
	if clientID == "" {
		t.Fatalf("the plan references no client: %v", p.Plan.Refs)
	}
	if _, err := client.Do(ctx, "items.update", ws.Slug, map[string]string{"type": "clients", "id": clientID},
		map[string]any{"data": map[string]any{"name": "Renamed"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LoadPlan(ctx, path); !errors.Is(err, ErrTargetChanged) {
		t.Fatalf("load after the client changed: %v, want ErrTargetChanged", err)
	}
}

// wholePlan builds the plan of sel the way that reads everything: the
// whole snapshot, the whole target.
func (f *planFixture) wholePlan(t *testing.T, to string, sel selector.Selector) *restore.Plan {
	t.Helper()
	ctx := context.Background()
	source, _ := f.svc.Workspace("acme", "test")
	target := source
	if to != "" {
		target, _ = f.svc.Workspace(to, "test")
	}
	set, err := snapshotSetOf(f.db, f.snap, func(string, string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	client, err := f.svc.Client(target)
	if err != nil {
		t.Fatal(err)
	}
	scope := restore.Scope{Kinds: restore.PlannedKinds()}
	live, err := f.svc.liveSet(ctx, client, target, scope)
	if err != nil {
		t.Fatal(err)
	}
	planIDs, _, err := idsFor(f.db, target.Name, source.Name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.svc.Config()
	p, err := restore.Build(restore.Input{
		Operation: "restore", Source: set, SourceName: source.Name, Target: live, TargetName: target.Name,
		Scope: scope, Select: restore.SelectRestore(set, []selector.Selector{sel}),
		Same: sameWorkspace(cfg, source, target), IDs: planIDs,
		Secrets: mustSecrets(t, cfg, target), Environment: integrationEnvironment(cfg, target),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func stepsJSON(t *testing.T, p *restore.Plan) []string {
	t.Helper()
	var out []string
	for _, s := range p.Steps {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// A refused key is told the scope the server named or the refused
// request's method needs, never one guessed from the step's action: a
// group's membership update removes users with DELETE.
func TestRefusedScopeIsTheRequestsNotTheActions(t *testing.T) {
	p := &Planned{Plan: &restore.Plan{Operation: "restore", Target: "prod"}, target: &config.Workspace{Slug: "acme"}}
	lacks := api.ParseError(403, []byte(`{"statusCode":403,"error":"Forbidden","message":"Token lacks the delete scope"}`))
	got := refusedKey(p, "prod", &restore.AccessError{Status: 403, Action: restore.Update, Scope: "delete", Err: lacks}).Error()
	if !strings.Contains(got, "lacks the delete scope for this workspace") {
		t.Errorf("message: %s\nwant the delete scope named", got)
	}
	other := api.ParseError(403, []byte(`{"statusCode":403,"error":"Forbidden","message":"Forbidden resource"}`))
	got = refusedKey(p, "prod", &restore.AccessError{Status: 403, Action: restore.Create, Err: other}).Error()
	if strings.Contains(got, "lacks the") {
		t.Errorf("message: %s\nwant no scope named: neither the server nor the request's method named one", got)
	}
}

func mustSecrets(t *testing.T, cfg *config.Config, ws *config.Workspace) envSecrets {
	t.Helper()
	s, err := secretsOf(cfg, ws)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
