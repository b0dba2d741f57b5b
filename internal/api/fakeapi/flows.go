package fakeapi

import (
	"encoding/json"
	"strconv"
)

// flow is a process on the items of a type. Flows, stages, forms and
// schedule tasks are read-only through the API.
type flow struct {
	id        int64
	typeID    int64
	name      string
	status    string
	startType string
	icon      string
	user      int64
	created   int64
	updated   int64
}

// stage is a step of a flow.
type stage struct {
	id           int64
	flowID       int64
	name         string
	status       string
	progressType string
	isStart      bool
	hexColor     string
	icon         string
	user         int64
	created      int64
	updated      int64
}

type flowView struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Status    string          `json:"status"`
	ItemType  typeView        `json:"item_type"`
	StartType string          `json:"start_type"`
	Icon      string          `json:"icon"`
	User      json.RawMessage `json:"user"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

type stageView struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	ProgressType string          `json:"progress_type"`
	IsStart      bool            `json:"is_start"`
	HexColor     string          `json:"hex_color"`
	Icon         string          `json:"icon"`
	User         json.RawMessage `json:"user"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	ItemType     typeView        `json:"item_type"`
	Flow         flowView        `json:"flow"`
	Tasks        []taskView      `json:"tasks"`
}

func (w *Workspace) flowView(f *flow) flowView {
	v := flowView{ID: f.id, Name: f.name, Status: f.status, StartType: f.startType, Icon: f.icon,
		User: w.srv.userJSON(f.user), CreatedAt: stamp(f.created), UpdatedAt: stamp(f.updated)}
	if t := w.typeByID(f.typeID); t != nil {
		v.ItemType = t.view(false)
	}
	return v
}

func (w *Workspace) stageView(s *stage) stageView {
	f := w.flowByID(s.flowID)
	v := stageView{ID: s.id, Name: s.name, Status: s.status, ProgressType: s.progressType, IsStart: s.isStart,
		HexColor: s.hexColor, Icon: s.icon, User: w.srv.userJSON(s.user), CreatedAt: stamp(s.created),
		UpdatedAt: stamp(s.updated), Tasks: []taskView{}}
	if f != nil {
		v.Flow = w.flowView(f)
		v.ItemType = v.Flow.ItemType
	}
	for _, t := range w.tasks {
		if t.stageID == s.id {
			v.Tasks = append(v.Tasks, w.taskView(t))
		}
	}
	return v
}

func (w *Workspace) flowByID(id int64) *flow {
	return find(w.flows, id, func(f *flow) int64 { return f.id })
}

func (w *Workspace) stageByID(id int64) *stage {
	return find(w.stages, id, func(s *stage) int64 { return s.id })
}

// byParam looks up the record of a numeric path or query parameter.
func byParam[T any](c *call, param, label string, get func(int64) *T) (*T, resp, bool) {
	v := c.params[param]
	if v == "" {
		return nil, failList(400, []string{param + " should not be empty"}), false
	}
	id, res, ok := parseID(v)
	if !ok {
		return nil, res, false
	}
	if r := get(id); r != nil {
		return r, resp{}, true
	}
	return nil, notFound(label + " " + strconv.FormatInt(id, 10) + " not found"), false
}

// flowsList answers the flows of the ?type= type.
func flowsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	var rows []*flow
	for _, f := range c.ws.flows {
		if f.typeID == t.id {
			rows = append(rows, f)
		}
	}
	return listOf(c, rows, func(f *flow) any { return c.ws.flowView(f) })
}

func flowsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	f, res, ok := byParam(c, "id", "Flow", c.ws.flowByID)
	if !ok {
		return res
	}
	return ok200(c.ws.flowView(f))
}

// stagesList answers the stages of the ?flow= flow.
func stagesList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	f, res, ok := byParam(c, "flow", "Flow", c.ws.flowByID)
	if !ok {
		return res
	}
	var rows []*stage
	for _, s := range c.ws.stages {
		if s.flowID == f.id {
			rows = append(rows, s)
		}
	}
	return listOf(c, rows, func(s *stage) any { return c.ws.stageView(s) })
}

func stagesGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	s, res, ok := byParam(c, "id", "Stage", c.ws.stageByID)
	if !ok {
		return res
	}
	return c.answer(c.ws.stageView(s))
}
