package fakeapi

import (
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Workspace is one workspace of the fake server. Its methods are safe for
// concurrent use with requests; they are how tests and demos make the
// changes a person would make in the Enspace UI.
type Workspace struct {
	srv *Server

	mu      sync.RWMutex // guards everything below
	id      string
	slug    string
	name    string
	icon    string
	created int64
	updated int64

	types []*typeRec // every slice is ordered by id
	// generic holds the objects of the kinds the generic store serves
	// (Options.GenericKinds), by kind, ordered by id.
	generic      map[kind.Name][]map[string]any
	forms        []*form
	flows        []*flow
	stages       []*stage
	tasks        []*task
	schedules    []*schedule
	members      []*member
	roles        []*role
	groups       []*group
	quickTasks   []*quickTask
	integrations []*integration
}

// workspaceView is the Workspace shape of the contract.
type workspaceView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	Icon      string `json:"icon"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// Slug returns the workspace's slug.
func (w *Workspace) Slug() string { return w.slug }

// ID returns the workspace's id ("ws-1").
func (w *Workspace) ID() string { return w.id }

// view renders the workspace; the caller holds w.mu.
func (w *Workspace) view() workspaceView {
	return workspaceView{ID: w.id, Name: w.name, Slug: w.slug, Icon: w.icon, CreatedAt: stamp(w.created), UpdatedAt: stamp(w.updated)}
}

// isMember reports whether the user is a member of the workspace.
func (w *Workspace) isMember(userID int64) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.memberOfUser(userID) != nil
}

// find returns the record with the id, or nil; rows are ordered by id.
func find[T any](rows []*T, id int64, idOf func(*T) int64) *T {
	lo, hi := 0, len(rows)
	for lo < hi {
		m := (lo + hi) / 2
		if idOf(rows[m]) < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(rows) && idOf(rows[lo]) == id {
		return rows[lo]
	}
	return nil
}

// without returns, in a new slice, the rows that drop does not accept.
func without[T any](rows []*T, drop func(*T) bool) []*T {
	out := make([]*T, 0, len(rows))
	for _, r := range rows {
		if !drop(r) {
			out = append(out, r)
		}
	}
	return out
}

// Counts are the number of records of each kind in a workspace, the shape
// of the stats and deletion-preview answers.
type Counts struct {
	Types         int `json:"types"`
	Fields        int `json:"fields"`
	Items         int `json:"items"`
	Forms         int `json:"forms"`
	Flows         int `json:"flows"`
	Stages        int `json:"stages"`
	Tasks         int `json:"tasks"`
	ScheduleTasks int `json:"schedule_tasks"`
	Members       int `json:"members"`
	Roles         int `json:"roles"`
	Permissions   int `json:"permissions"`
	MemberGroups  int `json:"member_groups"`
	QuickTasks    int `json:"quick_tasks"`
	Integrations  int `json:"integrations"`
}

// Counts returns the number of records of each kind.
func (w *Workspace) Counts() Counts {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c := Counts{
		Types: len(w.types), Forms: len(w.forms), Flows: len(w.flows), Stages: len(w.stages),
		Tasks: len(w.tasks), ScheduleTasks: len(w.schedules), Members: len(w.members),
		Roles: len(w.roles), MemberGroups: len(w.groups), QuickTasks: len(w.quickTasks),
		Integrations: len(w.integrations),
	}
	for _, t := range w.types {
		c.Fields += len(t.fields)
		c.Items += len(t.items)
	}
	for _, r := range w.roles {
		c.Permissions += len(r.perms)
	}
	return c
}
