package fakeapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// quickTask is a to-do of the workspace, maybe about one item.
type quickTask struct {
	id          int64
	title       string
	description string
	status      string // open or done
	dueDate     string // YYYY-MM-DD, "" is null
	members     []int64
	groups      []int64
	itemType    string // "" when the task is about no item
	itemID      int64
	user        int64
	created     int64
	updated     int64
}

type assignees struct {
	Members []int64 `json:"members"`
	Groups  []int64 `json:"groups"`
}

type itemRef struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

type quickTaskView struct {
	ID          int64           `json:"id"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Status      string          `json:"status"`
	DueDate     *string         `json:"due_date"`
	Assignees   assignees       `json:"assignees"`
	Item        *itemRef        `json:"item"`
	User        json.RawMessage `json:"user"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
}

func (w *Workspace) quickTaskView(q *quickTask) quickTaskView {
	v := quickTaskView{ID: q.id, Title: q.title, Description: q.description, Status: q.status,
		Assignees: assignees{Members: idList(q.members), Groups: idList(q.groups)},
		User:      w.srv.userJSON(q.user), CreatedAt: stamp(q.created), UpdatedAt: stamp(q.updated)}
	if q.dueDate != "" {
		d := q.dueDate
		v.DueDate = &d
	}
	if q.itemType != "" {
		v.Item = &itemRef{Type: q.itemType, ID: q.itemID}
	}
	return v
}

func (w *Workspace) quickTaskByID(id int64) *quickTask {
	return find(w.quickTasks, id, func(q *quickTask) int64 { return q.id })
}

// applyQuickTask validates a quick task body into q.
func (w *Workspace) applyQuickTask(q *quickTask, in *input, creating bool) (resp, bool) {
	title, hasTitle := in.str("title")
	if creating {
		title = in.required("title")
		hasTitle = title != ""
	}
	desc, hasDesc := in.str("description")
	status, hasStatus := in.str("status")
	if hasStatus && status != "open" && status != "done" {
		in.errorf("status must be one of the following values: open, done")
	}
	due, hasDue := in.str("due_date")
	if _, err := time.Parse("2006-01-02", due); hasDue && err != nil {
		in.errorf("due_date must be a date (YYYY-MM-DD)")
	}
	var as struct {
		Members []int64 `json:"members"`
		Groups  []int64 `json:"groups"`
	}
	if raw, ok := in.object("assignees"); ok && json.Unmarshal(raw, &as) != nil {
		in.errorf("assignees must be {\"members\": [ids], \"groups\": [ids]}")
	}
	var ref *itemRef
	if raw, ok := in.object("item"); ok && (json.Unmarshal(raw, &ref) != nil || ref.Type == "" || ref.ID == 0) {
		in.errorf("item must be {\"type\": slug, \"id\": item id} or null")
	}
	if res, bad := in.failed(); bad {
		return res, false
	}
	if missing := w.missingMembers(as.Members); len(missing) > 0 {
		return badRequest("Members not found: " + joinIDs(missing)), false
	}
	if missing := w.missingGroups(as.Groups); len(missing) > 0 {
		return badRequest("Member groups not found: " + joinIDs(missing)), false
	}
	if ref != nil {
		if t := w.typeBySlug(ref.Type); t == nil || t.itemIndex(ref.ID) < 0 {
			return badRequest(fmt.Sprintf("Item %d of type %q not found", ref.ID, ref.Type)), false
		}
	}
	if hasTitle {
		q.title = title
	}
	if hasDesc {
		q.description = desc
	}
	if hasStatus {
		q.status = status
	}
	if hasDue {
		q.dueDate = due
	} else if in.present("due_date") {
		q.dueDate = ""
	}
	if in.present("assignees") {
		q.members, q.groups = addIDs(nil, as.Members), addIDs(nil, as.Groups)
	}
	if ref != nil {
		q.itemType, q.itemID = ref.Type, ref.ID
	} else if in.present("item") {
		q.itemType, q.itemID = "", 0
	}
	return resp{}, true
}

func (c *call) lookupQuickTask() (*quickTask, resp, bool) {
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, res, false
	}
	q := c.ws.quickTaskByID(id)
	if q == nil {
		return nil, notFound(fmt.Sprintf("Quick task %d not found", id)), false
	}
	return q, resp{}, true
}

func quickTasksList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.quickTasks, func(q *quickTask) any { return c.ws.quickTaskView(q) })
}

func quickTasksCount(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return c.count(len(c.ws.quickTasks))
}

func quickTasksGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	q, res, ok := c.lookupQuickTask()
	if !ok {
		return res
	}
	return c.answer(c.ws.quickTaskView(q))
}

func quickTasksCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	q := &quickTask{status: "open", user: c.user.id, created: c.now, updated: c.now}
	if res, ok := c.ws.applyQuickTask(q, in, true); !ok {
		return res
	}
	q.id = c.s.next(seqQuickTask)
	c.ws.quickTasks = append(c.ws.quickTasks, q)
	return c.answer(c.ws.quickTaskView(q))
}

func quickTasksUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	q, res, ok := c.lookupQuickTask()
	if !ok {
		return res
	}
	if res, ok := c.ws.applyQuickTask(q, in, false); !ok {
		return res
	}
	q.updated = c.now
	return c.answer(c.ws.quickTaskView(q))
}

func quickTasksDelete(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	q, res, ok := c.lookupQuickTask()
	if !ok {
		return res
	}
	c.ws.quickTasks = without(c.ws.quickTasks, func(x *quickTask) bool { return x == q })
	return success()
}
