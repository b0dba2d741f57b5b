package fakeapi

import (
	"encoding/json"
	"sort"
)

// form is a form over some fields of a type.
type form struct {
	id      int64
	typeID  int64
	name    string
	fields  []string // field slugs
	user    int64
	created int64
	updated int64
}

type formView struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Fields    []string        `json:"fields"`
	User      json.RawMessage `json:"user"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

// schedule is a schedule task: a reminder computed from a date field.
type schedule struct {
	id              int64
	typeID          int64
	name            string
	referenceField  string
	calculationType string
	calculation     int64
	frequency       string
	user            int64
	created         int64
	updated         int64
}

type scheduleView struct {
	ID              int64           `json:"id"`
	Type            string          `json:"type"`
	Name            string          `json:"name"`
	ReferenceField  string          `json:"reference_field"`
	CalculationType string          `json:"calculation_type"`
	Calculation     int64           `json:"calculation"`
	Frequency       string          `json:"frequency"`
	User            json.RawMessage `json:"user"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
}

func (w *Workspace) typeSlug(id int64) string {
	if t := w.typeByID(id); t != nil {
		return t.slug
	}
	return ""
}

func (w *Workspace) formView(f *form) formView {
	fields := f.fields
	if fields == nil {
		fields = []string{}
	}
	return formView{ID: f.id, Type: w.typeSlug(f.typeID), Name: f.name, Fields: fields,
		User: w.srv.userJSON(f.user), CreatedAt: stamp(f.created), UpdatedAt: stamp(f.updated)}
}

func (w *Workspace) scheduleView(s *schedule) scheduleView {
	return scheduleView{ID: s.id, Type: w.typeSlug(s.typeID), Name: s.name, ReferenceField: s.referenceField,
		CalculationType: s.calculationType, Calculation: s.calculation, Frequency: s.frequency,
		User: w.srv.userJSON(s.user), CreatedAt: stamp(s.created), UpdatedAt: stamp(s.updated)}
}

func (w *Workspace) formByID(id int64) *form {
	return find(w.forms, id, func(f *form) int64 { return f.id })
}

// formsList answers the forms of the ?type= type.
func formsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	var rows []*form
	for _, f := range c.ws.forms {
		if f.typeID == t.id {
			rows = append(rows, f)
		}
	}
	return listOf(c, rows, func(f *form) any { return c.ws.formView(f) })
}

func formsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	f, res, ok := byParam(c, "id", "Form", c.ws.formByID)
	if !ok {
		return res
	}
	return ok200(c.ws.formView(f))
}

// formsCreateList answers "List Form Create": the fields a form that
// creates an item of the ?type= type shows, that is the type's active
// fields in position order.
func formsCreateList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	var rows []*field
	for _, f := range t.fields {
		if f.active {
			rows = append(rows, f)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].position < rows[j].position })
	return listOf(c, rows, func(f *field) any { return f.view() })
}

func schedulesList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.schedules, func(s *schedule) any { return c.ws.scheduleView(s) })
}

func schedulesGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	s, res, ok := byParam(c, "id", "Schedule task", func(id int64) *schedule {
		return find(c.ws.schedules, id, func(s *schedule) int64 { return s.id })
	})
	if !ok {
		return res
	}
	return ok200(c.ws.scheduleView(s))
}
