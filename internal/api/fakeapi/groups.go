package fakeapi

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// group is a member group; users are member ids.
type group struct {
	id          int64
	name        string
	description string
	users       []int64 // sorted
	created     int64
	updated     int64
}

type groupView struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Users       []int64 `json:"users"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

func (g *group) view() groupView {
	return groupView{ID: g.id, Name: g.name, Description: g.description, Users: idList(g.users),
		CreatedAt: stamp(g.created), UpdatedAt: stamp(g.updated)}
}

func (w *Workspace) groupByID(id int64) *group {
	return find(w.groups, id, func(g *group) int64 { return g.id })
}

// missingMembers returns the ids that are not members of w.
func (w *Workspace) missingMembers(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if w.memberByID(id) == nil {
			out = append(out, id)
		}
	}
	return out
}

// missingGroups returns the ids that are not groups of w.
func (w *Workspace) missingGroups(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if w.groupByID(id) == nil {
			out = append(out, id)
		}
	}
	return out
}

// addIDs returns the sorted union of a and b.
func addIDs(a, b []int64) []int64 {
	out := append([]int64(nil), a...)
	for _, id := range b {
		if !containsID(out, id) {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// removeIDs returns a without the ids in b.
func removeIDs(a, b []int64) []int64 {
	out := make([]int64, 0, len(a))
	for _, id := range a {
		if !containsID(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func containsID(list []int64, id int64) bool {
	for _, v := range list {
		if v == id {
			return true
		}
	}
	return false
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func (c *call) lookupGroup() (*group, resp, bool) {
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, res, false
	}
	g := c.ws.groupByID(id)
	if g == nil {
		return nil, notFound(fmt.Sprintf("Member group %d not found", id)), false
	}
	return g, resp{}, true
}

// applyGroup validates a MemberGroupCreate or MemberGroupUpdate body.
func (w *Workspace) applyGroup(g *group, in *input, creating bool) (resp, bool) {
	name, hasName := in.str("name")
	if creating {
		name = in.required("name")
		hasName = name != ""
	}
	desc, hasDesc := in.str("description")
	users, hasUsers := in.ids("users")
	if res, bad := in.failed(); bad {
		return res, false
	}
	if missing := w.missingMembers(users); len(missing) > 0 {
		return badRequest("Members not found: " + joinIDs(missing)), false
	}
	if hasName {
		g.name = name
	}
	if hasDesc {
		g.description = desc
	}
	if hasUsers {
		g.users = addIDs(nil, users)
	}
	return resp{}, true
}

func groupsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.groups, func(g *group) any { return g.view() })
}

func groupsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	g, res, ok := c.lookupGroup()
	if !ok {
		return res
	}
	return c.answer(g.view())
}

func groupsCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	g := &group{created: c.now, updated: c.now}
	if res, ok := c.ws.applyGroup(g, in, true); !ok {
		return res
	}
	g.id = c.s.next(seqGroup)
	c.ws.groups = append(c.ws.groups, g)
	return c.answer(g.view())
}

func groupsUpdate(c *call) resp {
	return c.changeGroup(func(g *group, in *input) (resp, bool) { return c.ws.applyGroup(g, in, false) })
}

// groupsUsersAdd adds members ({"users": [memberId, ...]}) to a group.
func groupsUsersAdd(c *call) resp {
	return c.changeGroup(func(g *group, in *input) (resp, bool) { return c.ws.groupUsers(g, in, addIDs) })
}

// groupsUsersRemove takes members out of a group.
func groupsUsersRemove(c *call) resp {
	return c.changeGroup(func(g *group, in *input) (resp, bool) { return c.ws.groupUsers(g, in, removeIDs) })
}

func (w *Workspace) groupUsers(g *group, in *input, op func(a, b []int64) []int64) (resp, bool) {
	users, ok := in.ids("users")
	if !ok && len(in.errs) == 0 {
		in.errorf("users should not be empty")
	}
	if res, bad := in.failed(); bad {
		return res, false
	}
	if missing := w.missingMembers(users); len(missing) > 0 {
		return badRequest("Members not found: " + joinIDs(missing)), false
	}
	g.users = op(g.users, users)
	return resp{}, true
}

// changeGroup runs a change on the {id} group under the workspace lock.
func (c *call) changeGroup(change func(*group, *input) (resp, bool)) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	g, res, ok := c.lookupGroup()
	if !ok {
		return res
	}
	if res, ok := change(g, in); !ok {
		return res
	}
	g.updated = c.now
	return c.answer(g.view())
}

func groupsDelete(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	g, res, ok := c.lookupGroup()
	if !ok {
		return res
	}
	c.ws.groups = without(c.ws.groups, func(x *group) bool { return x == g })
	return success()
}
