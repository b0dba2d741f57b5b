package kindtest_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// badges is the synthetic kind: workspace-level configuration, matched
// across workspaces by its slug, pointing at a type by key. Its entry and
// its routes are all the test declares about it.
const badges kind.Name = "badges"

func register(t *testing.T) api.Routes {
	t.Helper()
	undo := kind.Register(&kind.Kind{
		Name: badges, Label: "badge", Class: kind.Configuration, Prunable: true,
		List: "badges.list", Count: "badges.count", Get: "badges.get",
		Create: "badges.create", Update: "badges.update", Delete: "badges.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"slug"},
		LabelFields:    []string{"name", "slug"},
		Refs:           []kind.Ref{{Path: "type", Kind: kind.Types, By: kind.ByKey}},
		ServerAssigned: []string{"id", "created_at", "updated_at"},
		Selector:       "badge", Known: []string{"name", "slug", "type"},
	})
	t.Cleanup(undo)
	routes := api.DefaultRoutes()
	for name, r := range map[string]api.Route{
		"badges.list":   {Method: "GET", Path: "/ws/badges", Workspace: true},
		"badges.count":  {Method: "GET", Path: "/ws/badges/count", Workspace: true},
		"badges.get":    {Method: "GET", Path: "/ws/badges/{id}", Workspace: true},
		"badges.create": {Method: "POST", Path: "/ws/badges", Workspace: true},
		"badges.update": {Method: "PUT", Path: "/ws/badges/{id}", Workspace: true},
		"badges.delete": {Method: "DELETE", Path: "/ws/badges/{id}", Workspace: true},
	} {
		routes[name] = r
	}
	return routes
}

type env struct {
	t      *testing.T
	ctx    context.Context
	client *api.Client
	db     *snapshot.DB
}

func setup(t *testing.T) *env {
	routes := register(t)
	srv, err := fakeapi.New(fakeapi.Options{Data: "empty", Routes: routes, GenericKinds: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(filepath.Join(t.TempDir(), "db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &env{t: t, ctx: context.Background(), client: client, db: db}
}

func (e *env) do(route, ws string, params map[string]string, body any) map[string]any {
	e.t.Helper()
	raw, err := e.client.Do(e.ctx, route, ws, params, body)
	if err != nil {
		e.t.Fatalf("%s: %v", route, err)
	}
	o, err := api.NewObject(kind.Of(badges), "", raw)
	if err != nil {
		return nil
	}
	return map[string]any{"id": o.ID}
}

// backupTo walks ws into a committed snapshot.
func (e *env) backupTo(ws string) *snapshot.Snapshot {
	e.t.Helper()
	w, err := e.db.Begin(ws, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := backup.Run(e.ctx, e.client, w, backup.Options{Workspace: ws})
	if err != nil || len(res.Failed) > 0 {
		e.t.Fatalf("backup of %s: %v %v", ws, err, res.Failed)
	}
	var walked []string
	for k := range res.Counts {
		walked = append(walked, k)
	}
	snap, err := w.Commit(snapshot.CommitInfo{FinishedAt: time.Now(), Walked: walked})
	if err != nil {
		e.t.Fatal(err)
	}
	return snap
}

// live reads ws into a restore set, through backup's walk.
func (e *env) live(ws string) *restore.Set {
	e.t.Helper()
	set := restore.NewSet()
	if _, err := backup.Run(e.ctx, e.client, liveSink{set}, backup.Options{Workspace: ws}); err != nil {
		e.t.Fatal(err)
	}
	return set
}

// liveSink keeps what restore plans with: no audit kinds, no singletons.
type liveSink struct{ set *restore.Set }

func (s liveSink) Put(name, parent, key string, raw []byte) error {
	if k := kind.Of(name); k == nil || !k.Planned() {
		return nil
	}
	return s.set.Put(name, parent, key, raw)
}
func (s liveSink) Fail(name string, err error) { s.set.Fail(name, err) }

// fromSnapshot reads a snapshot's planned kinds into a restore set.
func (e *env) fromSnapshot(snap *snapshot.Snapshot) *restore.Set {
	e.t.Helper()
	set := restore.NewSet()
	sink := liveSink{set}
	for _, coll := range e.db.Collections(snap) {
		name := snapshot.KindOf(coll)
		parent := strings.TrimPrefix(strings.TrimPrefix(coll, name), "/")
		err := e.db.Walk(snap, coll, func(key string, h snapshot.Hash) error {
			raw, err := e.db.Blob(h)
			if err != nil {
				return err
			}
			return sink.Put(name, parent, key, raw)
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return set
}

// changes diffs the badges of two snapshots.
func (e *env) changes(a, b *snapshot.Snapshot) *diff.Result {
	e.t.Helper()
	var pairs []diff.Pair
	err := e.db.DiffCollection(a, b, badges, func(key string, old, new snapshot.Hash) error {
		p := diff.Pair{Kind: badges, Key: key}
		var err error
		if !old.IsZero() {
			if p.Old, err = e.db.Blob(old); err != nil {
				return err
			}
		}
		if !new.IsZero() {
			if p.New, err = e.db.Blob(new); err != nil {
				return err
			}
		}
		pairs = append(pairs, p)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := diff.Compute(diff.Input{Kinds: diff.Kinds(), Pairs: func(yield func(diff.Pair) bool) {
		for _, p := range pairs {
			if !yield(p) {
				return
			}
		}
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// apply plans op from source into target ws, applies it and checks that
// planning again finds nothing to do.
func (e *env) apply(op string, source *restore.Set, ws string, kinds []kind.Name) *restore.Plan {
	e.t.Helper()
	ids, err := e.db.IDMap(ws, "acme")
	if err != nil {
		e.t.Fatal(err)
	}
	plan := func() *restore.Plan {
		p, err := restore.Build(restore.Input{Operation: op, Source: source, SourceName: "acme",
			Target: e.live(ws), TargetName: ws, Scope: restore.Scope{Kinds: kinds}, IDs: ids,
			Select: restore.SelectKinds(kinds), Same: op == "restore"})
		if err != nil {
			e.t.Fatal(err)
		}
		return p
	}
	p := plan()
	eng := &restore.Engine{Client: e.client, Workspace: ws, IDs: ids}
	if _, err := eng.Apply(e.ctx, p); err != nil {
		for _, s := range p.Steps {
			e.t.Logf("%s %s %s: %s %+v", s.Action, s.Kind, s.Key, s.Reason, s.Result)
		}
		e.t.Fatalf("%s into %s: %v", op, ws, err)
	}
	if again := plan(); !again.Empty() {
		for _, s := range again.Steps {
			e.t.Logf("%s %s %s: %s", s.Action, s.Kind, s.Key, s.Reason)
		}
		e.t.Fatalf("%s into %s: planning again finds work", op, ws)
	}
	return p
}

func badgeSlugs(set *restore.Set) []string {
	var out []string
	for _, o := range set.Of(badges) {
		out = append(out, o.Fields()["slug"].(string))
	}
	sort.Strings(out)
	return out
}

func TestASyntheticKindIsBackedUpDiffedRestoredAndReplicated(t *testing.T) {
	e := setup(t)
	e.do("types.create", "acme", nil, map[string]any{"name": "Contracts", "slug": "contracts"})
	gold := e.do("badges.create", "acme", nil, map[string]any{"name": "Gold", "slug": "gold", "type": "contracts"})
	silver := e.do("badges.create", "acme", nil, map[string]any{"name": "Silver", "slug": "silver", "type": "contracts"})

	// Backed up.
	s1 := e.backupTo("acme")
	if s1.Counts[badges] != 2 {
		t.Fatalf("snapshot counts %v: want 2 badges", s1.Counts)
	}

	// Diffed: one changed, one removed, one added, labelled by the table.
	e.do("badges.update", "acme", map[string]string{"id": gold["id"].(string)}, map[string]any{"name": "Golden"})
	e.do("badges.delete", "acme", map[string]string{"id": silver["id"].(string)}, nil)
	e.do("badges.create", "acme", nil, map[string]any{"name": "Bronze", "slug": "bronze", "type": "contracts"})
	s2 := e.backupTo("acme")
	got := map[string]string{}
	for _, c := range e.changes(s1, s2).Changes {
		got[c.Label] = string(c.Op)
	}
	want := map[string]string{"Golden": string(diff.Changed), "Silver": string(diff.Removed), "Bronze": string(diff.Added)}
	for label, op := range want {
		if got[label] != op {
			t.Errorf("diff: %s is %q, want %q (all: %v)", label, got[label], op, got)
		}
	}

	// Restored: every badge deleted, then brought back from the snapshot.
	for _, o := range e.live("acme").Of(badges) {
		e.do("badges.delete", "acme", map[string]string{"id": o.ID}, nil)
	}
	p := e.apply("restore", e.fromSnapshot(s2), "acme", []kind.Name{kind.Types, badges})
	if n := p.Counts()[restore.Create]; n != 2 {
		t.Errorf("restore created %d objects, want the 2 badges", n)
	}
	if slugs := badgeSlugs(e.live("acme")); strings.Join(slugs, ",") != "bronze,gold" {
		t.Errorf("badges after the restore: %v", slugs)
	}

	// Replicated with the configuration into another workspace, which
	// gets the type the badges point at first.
	if !contains(kind.Replicated(false), badges) {
		t.Fatal("badges are not replicated with the configuration")
	}
	p = e.apply("replicate", e.live("acme"), "acme-stage", kind.Replicated(false))
	if slugs := badgeSlugs(e.live("acme-stage")); strings.Join(slugs, ",") != "bronze,gold" {
		t.Errorf("badges after the replication: %v", slugs)
	}
	for _, s := range p.Steps {
		if s.Kind == badges && s.Label == "" {
			t.Errorf("badge step without a label: %+v", s)
		}
	}
}

func contains(list []kind.Name, n kind.Name) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
