package fakeapi

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

var (
	lastNames = []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida",
		"Nascimento", "Lima", "Araújo", "Fernandes", "Carvalho", "Gomes", "Martins", "Rocha", "Ribeiro", "Conceição"}
	companySuffixes = []string{"Comércio Ltda", "Tecnologia S.A.", "& Filhos", "Logística", "Engenharia",
		"Alimentos", "Serviços Ltda", "Indústria"}
	cities    = []string{"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre", "Florianópolis", "Brasília", "Recife", "Goiânia", "Lisboa"}
	countries = []string{"Brasil", "Portugal", "Argentina", "Chile", "Deutschland", "España"}
	segments  = []string{"enterprise", "smb", "public"}
	statuses  = []string{"draft", "active", "expired"}
)

// demoItemCounts are the items per type of the demo data.
func (g *generator) itemCount(slug string, stage bool) int {
	if g.items > 0 {
		if stage {
			return max(1, g.items/10)
		}
		return g.items
	}
	prod := map[string]int{"clients": 60, "contracts": 90, "invoices": 120}
	staged := map[string]int{"clients": 12, "contracts": 18, "invoices": 24, "suppliers": 10}
	if stage {
		return staged[slug]
	}
	return prod[slug]
}

// itemBuilder packs the values of one item, field by field in id order.
type itemBuilder struct {
	t   *typeRec
	buf []byte
	v   []byte
}

func (ib *itemBuilder) put(slug string, v []byte) {
	f := ib.t.fieldBySlug(slug)
	if f == nil {
		return
	}
	ib.buf = binary.AppendUvarint(ib.buf, uint64(f.id))
	ib.buf = binary.AppendUvarint(ib.buf, uint64(len(v)))
	ib.buf = append(ib.buf, v...)
}

func (ib *itemBuilder) str(slug, s string) { ib.v = appendJSONString(ib.v[:0], s); ib.put(slug, ib.v) }
func (ib *itemBuilder) num(slug string, n int64) {
	ib.v = strconv.AppendInt(ib.v[:0], n, 10)
	ib.put(slug, ib.v)
}
func (ib *itemBuilder) money(slug string, cents int64) {
	ib.v = strconv.AppendFloat(ib.v[:0], float64(cents)/100, 'f', -1, 64)
	ib.put(slug, ib.v)
}
func (ib *itemBuilder) boolean(slug string, b bool) {
	ib.v = strconv.AppendBool(ib.v[:0], b)
	ib.put(slug, ib.v)
}
func (ib *itemBuilder) date(slug string, ms int64) { ib.str(slug, dateOf(ms)) }

// generateItems fills the demo types with items, parents first so that
// relation values point at existing items.
func (g *generator) generateItems(w *Workspace, types map[string]*typeRec, stage bool, users []int64) {
	for _, slug := range []string{"clients", "contracts", "invoices", "suppliers"} {
		t := types[slug]
		if t == nil {
			continue
		}
		n := g.itemCount(slug, stage)
		t.items = make([]item, 0, n)
		r := rand.New(rand.NewPCG(uint64(g.seed), mix64(uint64(t.id))))
		ib := &itemBuilder{t: t}
		start, step := g.epoch+2*day, max(1, 365*day/int64(n))
		for i := 0; i < n; i++ {
			ib.buf = ib.buf[:0]
			g.values(ib, slug, i, r, types)
			created := start + int64(i)*step + r.Int64N(step)
			updated := created
			if r.IntN(10) < 3 {
				updated += r.Int64N(30 * day)
			}
			t.items = append(t.items, item{id: g.s.next(seqItem), created: created, updated: updated,
				user: users[r.IntN(len(users))], vals: string(ib.buf)})
		}
	}
	if g.s.opts.RequiredCycle {
		g.mainContracts(types)
	}
}

// mainContracts gives every client of Options.RequiredCycle its main
// contract: one of its own contracts, else the contract of its position.
// The field has the highest id of clients, so its value goes last.
func (g *generator) mainContracts(types map[string]*typeRec) {
	clients, contracts := types["clients"], types["contracts"]
	if clients == nil || contracts == nil || len(contracts.items) == 0 {
		return
	}
	client := contracts.fieldBySlug("client")
	own := map[string]int64{} // client id -> its first contract
	for _, c := range contracts.items {
		for _, v := range decodeVals(c.vals) {
			if client != nil && v.field == client.id {
				if _, ok := own[string(v.raw)]; !ok {
					own[string(v.raw)] = c.id
				}
			}
		}
	}
	ib := &itemBuilder{t: clients}
	for i := range clients.items {
		it := &clients.items[i]
		main, ok := own[strconv.FormatInt(it.id, 10)]
		if !ok {
			main = contracts.items[i%len(contracts.items)].id
		}
		ib.buf = append(ib.buf[:0], it.vals...)
		ib.num("main_contract", main)
		it.vals = string(ib.buf)
	}
}

// values generates the values of item i of a demo type.
func (g *generator) values(ib *itemBuilder, slug string, i int, r *rand.Rand, types map[string]*typeRec) {
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	company := func() (string, string) {
		a, b := r.IntN(len(lastNames)), r.IntN(len(companySuffixes))
		return lastNames[a] + " " + companySuffixes[b], "contato@" + slugify(lastNames[a]) + ".com.br"
	}
	someID := func(parent string) int64 {
		items := types[parent].items
		return items[r.IntN(len(items))].id
	}
	switch slug {
	case "clients":
		name, email := company()
		ib.str("name", name)
		if r.IntN(10) > 0 {
			ib.str("email", email)
		}
		ib.str("city", pick(cities))
		ib.str("segment", pick(segments))
		ib.boolean("active", r.IntN(10) < 8)
	case "contracts":
		ib.str("number", "CT-"+pad(i+1, 6))
		ib.num("client", someID("clients"))
		ib.money("value", 100_000+r.Int64N(50_000_000))
		startDate := g.epoch + r.Int64N(500)*day
		ib.date("start_date", startDate)
		ib.date("end_date", startDate+365*day*(1+r.Int64N(2)))
		status := pick(statuses)
		ib.str("status", status)
		ib.boolean("signed", status != "draft")
		ib.num("renewal_notice_days", 30*(1+r.Int64N(3)))
	case "invoices":
		ib.str("number", "INV-"+pad(i+1, 7))
		ib.num("contract", someID("contracts"))
		ib.money("amount", 10_000+r.Int64N(5_000_000))
		ib.date("due_date", g.epoch+r.Int64N(600)*day)
		ib.boolean("paid", r.IntN(3) > 0)
	case "suppliers":
		name, email := company()
		ib.str("name", name)
		ib.str("email", email)
		ib.str("country", pick(countries))
	}
}

// pad formats n with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
