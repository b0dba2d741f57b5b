package fakeapi

import (
	"encoding/json"
	"math/rand/v2"
	"time"
)

// generator builds the initial data, deterministically from the seed:
// two servers with the same seed and options answer the same bytes.
type generator struct {
	s     *Server
	seed  int64
	items int
	epoch int64 // unix ms; every generated timestamp is after it
	tick  int64 // ms after epoch of the next configuration record
	rng   *rand.Rand
}

const day = int64(24 * time.Hour / time.Millisecond)

func newGenerator(s *Server, seed int64, items int) *generator {
	base := time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC).UnixMilli()
	epoch := base + int64(mix64(uint64(seed))%uint64(180*day))
	return &generator{s: s, seed: seed, items: items, epoch: epoch,
		rng: rand.New(rand.NewPCG(uint64(seed), 0x656e7370616365))}
}

// at returns the time of the next configuration record: configuration is
// made minute by minute during the workspace's first days.
func (g *generator) at() int64 {
	g.tick += 60_000 + g.rng.Int64N(240_000)
	return g.epoch + g.tick
}

// person is a demo member.
type person struct {
	email, fname, lname, mtype, role string
}

var demoPeople = []person{
	{"bruno.souza@acme.com", "Bruno", "Souza", "full", ""},
	{"carla.mendes@acme.com", "Carla", "Mendes", "standard", "analyst"},
	{"diego.ferreira@acme.com", "Diego", "Ferreira", "viewer", ""},
	{"joao.prado@acme.com", "João", "Prado", "standard", "manager"},
	{"fernanda.goncalves@acme.com", "Fernanda", "Gonçalves", "standard", "finance"},
}

// owner creates the owner of the demo workspaces and of the demo key.
func (g *generator) owner() *user {
	return g.s.userFor("ana@acme.com", "Ana", "Lima", g.epoch)
}

// build creates "acme" and "acme-stage", with the demo data when demo is
// set and with nothing but their owner otherwise.
func (g *generator) build(demo bool) {
	for _, stage := range []bool{false, true} {
		name, slug := "Acme", "acme"
		if stage {
			name, slug = "Acme (stage)", "acme-stage"
		}
		w := g.s.newWorkspace(name, slug, "building", g.at())
		w.addMember(g.s.owner, "owner", 0, w.created)
		if demo {
			g.fill(w, stage)
		}
		w.updated = g.epoch + g.tick
		g.s.addWorkspace(w)
	}
}

// fill creates the demo configuration and data of a workspace. The stage
// workspace is ahead of production: one more type, one more field on
// contracts, a changed permission, integrations set to stage.
func (g *generator) fill(w *Workspace, stage bool) {
	roles := g.roles(w, stage)
	users := []int64{g.s.owner.id}
	byEmail := map[string]int64{}
	for _, p := range demoPeople {
		u := g.s.userFor(p.email, p.fname, p.lname, g.epoch)
		m := w.addMember(u, p.mtype, roles[p.role], g.at())
		users = append(users, u.id)
		byEmail[p.email] = m.id
	}
	finance := g.group(w, "Finance", "Invoices and payments", byEmail["carla.mendes@acme.com"], byEmail["fernanda.goncalves@acme.com"])
	g.group(w, "Legal", "Contract review and signatures", byEmail["diego.ferreira@acme.com"], byEmail["joao.prado@acme.com"])
	types := g.types(w, stage)
	env := "production"
	if stage {
		env = "stage"
	}
	certisign := g.integration(w, 1, map[string]any{"environment": env, "changeKeys": false,
		"webhookCatcherEndpoint": "https://hooks.acme.com/" + env + "/certisign", "token": "cs-" + env + "-7f3a9c1e5b"})
	g.integration(w, 4, map[string]any{"environment": env, "changeKeys": false, "api_key": "SG." + env + ".q8Zt2xLw",
		"from_email": "no-reply@acme.com", "from_name": "Acme"})
	g.processes(w, types["contracts"], roles["manager"], finance.id, byEmail["joao.prado@acme.com"], certisign.id)
	g.generateItems(w, types, stage, users)
	g.quickTasks(w, types["contracts"], byEmail["joao.prado@acme.com"], finance.id)
}

// roles creates the three demo roles and returns their ids by slug.
func (g *generator) roles(w *Workspace, stage bool) map[string]int64 {
	analystRules := `{}`
	if stage {
		analystRules = `{"only_own":true}`
	}
	defs := []struct {
		name, slug, desc string
		perms            [][3]string // entity, action, rules
	}{
		{"Analyst", "analyst", "Reads clients and contracts", [][3]string{
			{"clients", "read", `{}`}, {"contracts", "read", analystRules}}},
		{"Manager", "manager", "Manages contracts", [][3]string{
			{"clients", "read", `{}`}, {"contracts", "create", `{}`}, {"contracts", "read", `{}`},
			{"contracts", "update", `{}`}, {"contracts", "delete", `{}`}}},
		{"Finance", "finance", "Works on invoices", [][3]string{
			{"invoices", "read", `{}`}, {"invoices", "update", `{}`}, {"settings.members", "read", `{}`}}},
	}
	ids := map[string]int64{}
	for _, d := range defs {
		at := g.at()
		r := &role{id: g.s.next(seqRole), name: d.name, slug: d.slug, description: d.desc, created: at, updated: at}
		for _, p := range d.perms {
			r.perms = append(r.perms, permission{ID: g.s.next(seqPermission), Entity: p[0], Action: p[1], Rules: json.RawMessage(p[2])})
		}
		w.roles = append(w.roles, r)
		ids[d.slug] = r.id
	}
	return ids
}

func (g *generator) group(w *Workspace, name, desc string, members ...int64) *group {
	at := g.at()
	gr := &group{id: g.s.next(seqGroup), name: name, description: desc, users: addIDs(nil, members), created: at, updated: at}
	w.groups = append(w.groups, gr)
	return gr
}

func (g *generator) integration(w *Workspace, catalogueID int64, data map[string]any) *integration {
	raw := map[string]json.RawMessage{}
	for k, v := range data {
		raw[k] = marshal(v)
	}
	clean, secrets := splitSecrets(raw, g.s.opts.MaskSecrets)
	at := g.at()
	it := &integration{id: g.s.next(seqIntegration), catalogue: catalogueID, data: clean, secrets: secrets,
		status: "active", created: at, updated: at}
	w.integrations = append(w.integrations, it)
	return it
}
