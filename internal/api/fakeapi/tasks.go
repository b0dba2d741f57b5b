package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// task is an action of a stage. Tasks can be created, not changed.
type task struct {
	id          int64
	stageID     int64
	name        string
	action      string
	members     []int64
	roles       []int64
	groups      []int64
	integration int64 // 0 is none
	form        int64 // 0 is none
	user        int64
	created     int64
	updated     int64
}

type taskAssignees struct {
	Members []int64 `json:"members"`
	Roles   []int64 `json:"roles"`
	Groups  []int64 `json:"groups"`
}

type taskView struct {
	ID          int64           `json:"id"`
	Stage       int64           `json:"stage"`
	Name        string          `json:"name"`
	Action      string          `json:"action"`
	Assignees   taskAssignees   `json:"assignees"`
	Integration any             `json:"integration"`
	Form        any             `json:"form"`
	User        json.RawMessage `json:"user"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
}

// taskActions are the actions a task may have.
var taskActions = []string{"form_fill", "send_email", "use_integration", "approval", "notify", "update_item"}

func (w *Workspace) taskView(t *task) taskView {
	return taskView{ID: t.id, Stage: t.stageID, Name: t.name, Action: t.action,
		Assignees:   taskAssignees{Members: idList(t.members), Roles: idList(t.roles), Groups: idList(t.groups)},
		Integration: nullableID(t.integration), Form: nullableID(t.form),
		User: w.srv.userJSON(t.user), CreatedAt: stamp(t.created), UpdatedAt: stamp(t.updated)}
}

func (w *Workspace) taskByID(id int64) *task {
	return find(w.tasks, id, func(t *task) int64 { return t.id })
}

// tasksList answers the tasks of the ?stage= stage.
func tasksList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	s, res, ok := byParam(c, "stage", "Stage", c.ws.stageByID)
	if !ok {
		return res
	}
	var rows []*task
	for _, t := range c.ws.tasks {
		if t.stageID == s.id {
			rows = append(rows, t)
		}
	}
	return listOf(c, rows, func(t *task) any { return c.ws.taskView(t) })
}

func tasksGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := byParam(c, "id", "Task", c.ws.taskByID)
	if !ok {
		return res
	}
	return c.answer(c.ws.taskView(t))
}

// tasksCreate adds a task to a stage ("New Task"). A use_integration task
// needs an integration, a form_fill task a form.
func tasksCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &task{user: c.user.id, created: c.now, updated: c.now}
	stageID, _ := in.integer("stage")
	if !in.has("stage") {
		in.errorf("stage should not be empty")
	}
	t.name = in.required("name")
	t.action = in.required("action")
	if t.action != "" && !contains(taskActions, t.action) {
		in.errorf("action must be one of the following values: " + strings.Join(taskActions, ", "))
	}
	t.integration, _ = in.integer("integration")
	t.form, _ = in.integer("form")
	var as taskAssignees
	if raw, ok := in.object("assignees"); ok && json.Unmarshal(raw, &as) != nil {
		in.errorf(`assignees must be {"members": [ids], "roles": [ids], "groups": [ids]}`)
	}
	if t.action == "use_integration" && t.integration == 0 {
		in.errorf("integration should not be empty for a use_integration task")
	}
	if t.action == "form_fill" && t.form == 0 {
		in.errorf("form should not be empty for a form_fill task")
	}
	if res, bad := in.failed(); bad {
		return res
	}
	if msg := w.checkTaskRefs(stageID, t, as); msg != "" {
		return badRequest(msg)
	}
	t.stageID = stageID
	t.members, t.roles, t.groups = addIDs(nil, as.Members), addIDs(nil, as.Roles), addIDs(nil, as.Groups)
	t.id = c.s.next(seqTask)
	w.tasks = append(w.tasks, t)
	return c.answer(w.taskView(t))
}

// checkTaskRefs reports the first reference of a new task that does not
// exist, or "".
func (w *Workspace) checkTaskRefs(stageID int64, t *task, as taskAssignees) string {
	switch {
	case w.stageByID(stageID) == nil:
		return fmt.Sprintf("Stage %d not found", stageID)
	case t.integration != 0 && find(w.integrations, t.integration, func(g *integration) int64 { return g.id }) == nil:
		return fmt.Sprintf("Integration %d not found", t.integration)
	case t.form != 0 && w.formByID(t.form) == nil:
		return fmt.Sprintf("Form %d not found", t.form)
	}
	if missing := w.missingMembers(as.Members); len(missing) > 0 {
		return "Members not found: " + joinIDs(missing)
	}
	if missing := w.missingGroups(as.Groups); len(missing) > 0 {
		return "Member groups not found: " + joinIDs(missing)
	}
	for _, id := range as.Roles {
		if w.roleByID(id) == nil {
			return fmt.Sprintf("Role %d not found", id)
		}
	}
	return ""
}
