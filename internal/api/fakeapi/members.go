package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// member is a user's membership of a workspace; its id is the membership
// id, not the user's.
type member struct {
	id      int64
	userID  int64
	email   string
	mtype   string // owner, full, standard or viewer
	role    int64  // 0 is none
	status  string // active, inactive or blocked
	created int64
	updated int64
}

type memberView struct {
	ID        int64           `json:"id"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	User      json.RawMessage `json:"user"`
	Email     string          `json:"email"`
	Type      string          `json:"type"`
	Role      any             `json:"role"`
	Status    string          `json:"status"`
}

func (w *Workspace) memberView(m *member) memberView {
	return memberView{ID: m.id, CreatedAt: stamp(m.created), UpdatedAt: stamp(m.updated),
		User: w.srv.userJSON(m.userID), Email: m.email, Type: m.mtype, Role: nullableID(m.role), Status: m.status}
}

func (w *Workspace) memberByID(id int64) *member {
	return find(w.members, id, func(m *member) int64 { return m.id })
}

func (w *Workspace) memberOfUser(userID int64) *member {
	for _, m := range w.members {
		if m.userID == userID {
			return m
		}
	}
	return nil
}

func (w *Workspace) memberByEmail(email string) *member {
	for _, m := range w.members {
		if strings.EqualFold(m.email, email) {
			return m
		}
	}
	return nil
}

// addMember makes a user a member; the caller holds w.mu.
func (w *Workspace) addMember(u *user, mtype string, role, now int64) *member {
	m := &member{id: w.srv.next(seqMember), userID: u.id, email: u.email, mtype: mtype, role: role,
		status: "active", created: now, updated: now}
	w.members = append(w.members, m)
	return m
}

// removeMember deletes a membership and takes it out of every group; the
// caller holds w.mu.
func (w *Workspace) removeMember(m *member) {
	w.members = without(w.members, func(x *member) bool { return x == m })
	for _, g := range w.groups {
		g.users = removeIDs(g.users, []int64{m.id})
	}
}

func (c *call) lookupMember() (*member, resp, bool) {
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, res, false
	}
	m := c.ws.memberByID(id)
	if m == nil {
		return nil, notFound(fmt.Sprintf("Member %d not found", id)), false
	}
	return m, resp{}, true
}

func membersList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.members, func(m *member) any { return c.ws.memberView(m) })
}

func membersCount(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return c.count(len(c.ws.members))
}

func membersGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	m, res, ok := c.lookupMember()
	if !ok {
		return res
	}
	return ok200(c.ws.memberView(m))
}

var memberTypes = []string{"full", "standard", "viewer"}

func membersCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	m, res, ok := w.createMember(in, c.now)
	if !ok {
		return res
	}
	return ok200(w.memberView(m))
}

// createMember validates a MemberCreate body and adds the member; the
// caller holds w.mu.
func (w *Workspace) createMember(in *input, now int64) (*member, resp, bool) {
	email := in.required("email")
	mtype := in.required("type")
	role, hasRole := in.integer("role")
	groups, _ := in.ids("mgroups")
	fname, _ := in.str("fname")
	lname, _ := in.str("lname")
	v1, _ := in.boolean("v1_compatibility")
	if email != "" && !validEmail(email) {
		in.errorf("email must be an email")
	}
	allowed := memberTypes
	if v1 {
		allowed = []string{"full", "standard"}
	}
	if mtype != "" && !contains(allowed, mtype) {
		in.errorf("type must be one of the following values: " + strings.Join(allowed, ", "))
	}
	if res, bad := in.failed(); bad {
		return nil, res, false
	}
	if w.memberByEmail(email) != nil {
		return nil, badRequest(fmt.Sprintf("A member with email %q already exists in this workspace", email)), false
	}
	if v1 && mtype == "full" {
		role, hasRole = 0, false
	}
	if hasRole && w.roleByID(role) == nil {
		return nil, badRequest(fmt.Sprintf("Role %d not found", role)), false
	}
	if missing := w.missingGroups(groups); len(missing) > 0 {
		return nil, badRequest("Member groups not found: " + joinIDs(missing)), false
	}
	m := w.addMember(w.srv.userFor(email, fname, lname, now), mtype, role, now)
	for _, id := range groups {
		g := w.groupByID(id)
		g.users = addIDs(g.users, []int64{m.id})
	}
	return m, resp{}, true
}

func membersUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	m, res, ok := c.lookupMember()
	if !ok {
		return res
	}
	if m.mtype == "owner" {
		return badRequest("The workspace owner cannot be changed")
	}
	mtype, hasType := in.str("type")
	status, hasStatus := in.str("status")
	role, hasRole := in.integer("role")
	if hasType && !contains(memberTypes, mtype) {
		in.errorf("type must be one of the following values: " + strings.Join(memberTypes, ", "))
	}
	if hasStatus && !contains([]string{"active", "inactive", "blocked"}, status) {
		in.errorf("status must be one of the following values: active, inactive, blocked")
	}
	if res, bad := in.failed(); bad {
		return res
	}
	if hasRole && w.roleByID(role) == nil {
		return badRequest(fmt.Sprintf("Role %d not found", role))
	}
	if hasType {
		m.mtype = mtype
	}
	if hasStatus {
		m.status = status
	}
	if hasRole {
		m.role = role
	} else if in.present("role") { // null clears the role
		m.role = 0
	}
	m.updated = c.now
	return ok200(w.memberView(m))
}

func membersDelete(c *call) resp {
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	m, res, ok := c.lookupMember()
	if !ok {
		return res
	}
	if m.mtype == "owner" {
		return badRequest("The workspace owner cannot be removed")
	}
	w.removeMember(m)
	return resp{status: http.StatusOK, body: []byte(`{"success":true}`)}
}
