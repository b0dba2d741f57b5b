package fakeapi

import (
	"encoding/json"
)

// fieldDef declares a demo field.
type fieldDef struct {
	name, slug, ftype string
	required          bool
	options           string
}

// typeDef declares a demo type.
type typeDef struct {
	name, slug, desc, icon, color string
	fields                        []fieldDef
	stageOnly                     bool
}

var demoTypes = []typeDef{
	{"Clients", "clients", "Companies we work with", "users", "#2e7d32", []fieldDef{
		{"Name", "name", "text", true, ""},
		{"E-mail", "email", "email", false, ""},
		{"City", "city", "text", false, ""},
		{"Segment", "segment", "select", false, `{"choices":["enterprise","smb","public"]}`},
		{"Active customer", "active", "boolean", false, ""},
	}, false},
	{"Contracts", "contracts", "Signed and draft contracts", "file", "#3366ff", []fieldDef{
		{"Number", "number", "text", true, ""},
		{"Client", "client", "relation", false, `{"type":"clients","multiple":false}`},
		{"Value", "value", "number", false, ""},
		{"Start date", "start_date", "date", false, ""},
		{"End date", "end_date", "date", false, ""},
		{"Status", "status", "select", false, `{"choices":["draft","active","expired"]}`},
		{"Signed", "signed", "boolean", false, ""},
	}, false},
	{"Invoices", "invoices", "Invoices issued on contracts", "receipt", "#f5a623", []fieldDef{
		{"Number", "number", "text", true, ""},
		{"Contract", "contract", "relation", false, `{"type":"contracts","multiple":false}`},
		{"Amount", "amount", "number", false, ""},
		{"Due date", "due_date", "date", false, ""},
		{"Paid", "paid", "boolean", false, ""},
	}, false},
	{"Suppliers", "suppliers", "Vendors we buy from", "truck", "#8e24aa", []fieldDef{
		{"Name", "name", "text", true, ""},
		{"E-mail", "email", "email", false, ""},
		{"Country", "country", "text", false, ""},
	}, true},
}

// stageContractField is the field acme-stage has on contracts and acme
// has not (yet).
var stageContractField = fieldDef{"Renewal notice (days)", "renewal_notice_days", "number", false, ""}

// types creates the demo types with their fields and returns them by slug.
func (g *generator) types(w *Workspace, stage bool) map[string]*typeRec {
	out := map[string]*typeRec{}
	for _, d := range demoTypes {
		if d.stageOnly && !stage {
			continue
		}
		at := g.at()
		t := &typeRec{id: g.s.next(seqType), name: d.name, slug: d.slug, description: d.desc, icon: d.icon,
			color: d.color, settings: json.RawMessage(`{"title_field":"` + d.fields[0].slug + `"}`), created: at, updated: at}
		if g.s.opts.WritableExtra {
			t.notes = json.RawMessage(`"` + d.name + ` kept by the back office"`)
		}
		w.types = append(w.types, t)
		out[d.slug] = t
		fields := d.fields
		if stage && d.slug == "contracts" {
			fields = append(fields[:len(fields):len(fields)], stageContractField)
		}
		for i, fd := range fields {
			if (g.s.opts.RequiredRelations || g.s.opts.RequiredCycle) && fd.ftype == "relation" && d.slug == "contracts" && fd.slug == "client" {
				fd.required = true
			}
			g.addField(w, t, fd, int64(i+1))
		}
	}
	if g.s.opts.RequiredCycle && out["clients"] != nil && out["contracts"] != nil {
		// Added once contracts exists: a relation field names an existing type.
		g.addField(w, out["clients"], cycleField, int64(len(out["clients"].fields)+1))
	}
	return out
}

// cycleField is the required relation clients.main_contract of
// Options.RequiredCycle.
var cycleField = fieldDef{"Main contract", "main_contract", "relation", true, `{"type":"contracts","multiple":false}`}

func (g *generator) addField(w *Workspace, t *typeRec, d fieldDef, pos int64) {
	at := g.at()
	f := &field{id: g.s.next(seqField), name: d.name, slug: d.slug, ftype: d.ftype, required: d.required,
		active: true, options: json.RawMessage("{}"), position: pos, created: at, updated: at}
	if d.options != "" {
		f.options = json.RawMessage(d.options)
	}
	// Demo options are valid by construction; parsing fills the fields the
	// server enforces (relation target, choices).
	w.parseOptions(f)
	t.fields = append(t.fields, f)
}

// processes creates the read-only configuration of contracts: a form, a
// flow with two stages and three tasks, a schedule task.
func (g *generator) processes(w *Workspace, contracts *typeRec, manager, finance, joao, certisign int64) {
	owner := g.s.owner.id
	at := g.at()
	fm := &form{id: g.s.next(seqForm), typeID: contracts.id, name: "New contract", user: owner, created: at, updated: at,
		fields: []string{"number", "client", "value", "start_date", "end_date"}}
	w.forms = append(w.forms, fm)
	at = g.at()
	fl := &flow{id: g.s.next(seqFlow), typeID: contracts.id, name: "Approval", status: "active", startType: "always",
		icon: "check-circle", user: owner, created: at, updated: at}
	w.flows = append(w.flows, fl)
	review := g.stage(w, fl.id, "Review", true, "manual", "#f5a623", "eye")
	signature := g.stage(w, fl.id, "Signature", false, "automatic", "#3366ff", "pen")
	g.task(w, &task{stageID: review, name: "Fill in the contract", action: "form_fill", form: fm.id, roles: []int64{manager}})
	g.task(w, &task{stageID: review, name: "Tell finance", action: "send_email", groups: []int64{finance}})
	g.task(w, &task{stageID: signature, name: "Send to Certisign", action: "use_integration", integration: certisign, members: []int64{joao}})
	at = g.at()
	w.schedules = append(w.schedules, &schedule{id: g.s.next(seqSchedule), typeID: contracts.id, name: "Renewal reminder",
		referenceField: "end_date", calculationType: "day", calculation: 30, frequency: "daily", user: owner, created: at, updated: at})
}

func (g *generator) stage(w *Workspace, flowID int64, name string, start bool, progress, color, icon string) int64 {
	at := g.at()
	s := &stage{id: g.s.next(seqStage), flowID: flowID, name: name, status: "active", progressType: progress,
		isStart: start, hexColor: color, icon: icon, user: g.s.owner.id, created: at, updated: at}
	w.stages = append(w.stages, s)
	return s.id
}

func (g *generator) task(w *Workspace, t *task) {
	at := g.at()
	t.id, t.user, t.created, t.updated = g.s.next(seqTask), g.s.owner.id, at, at
	w.tasks = append(w.tasks, t)
}

// quickTasks creates three quick tasks, one about the first contract.
func (g *generator) quickTasks(w *Workspace, contracts *typeRec, joao, finance int64) {
	owner := g.s.owner.id
	q := func(title, desc, status, due string, members, groups []int64) *quickTask {
		at := g.at()
		qt := &quickTask{id: g.s.next(seqQuickTask), title: title, description: desc, status: status, dueDate: due,
			members: members, groups: groups, user: owner, created: at, updated: at}
		w.quickTasks = append(w.quickTasks, qt)
		return qt
	}
	first := q("Review the first contract before renewal", "Check value and end date with the client.", "open",
		dateOf(g.epoch+400*day), []int64{joao}, nil)
	if len(contracts.items) > 0 {
		first.itemType, first.itemID = contracts.slug, contracts.items[0].id
	}
	q("Call the São Paulo office about overdue invoices", "Ask for the payment schedule.", "open",
		dateOf(g.epoch+380*day), nil, []int64{finance})
	q("Rotate the Sendgrid API key", "", "done", "", []int64{joao}, nil)
}

func dateOf(ms int64) string { return stamp(ms)[:10] }
