package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// role is a role with its permissions.
type role struct {
	id          int64
	name        string
	slug        string
	description string
	perms       []permission // ordered by id
	created     int64
	updated     int64
}

// permission lets a role act on an entity: a type slug or an area such as
// "settings.members".
type permission struct {
	ID     int64           `json:"id"`
	Entity string          `json:"entity"`
	Action string          `json:"action"`
	Rules  json.RawMessage `json:"rules"`
}

type roleView struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Slug        string       `json:"slug"`
	Description string       `json:"description"`
	Permissions []permission `json:"permissions"`
	CreatedAt   string       `json:"created_at"`
	UpdatedAt   string       `json:"updated_at"`
}

var actions = []string{"create", "read", "update", "delete"}

func (r *role) view() roleView {
	perms := r.perms
	if perms == nil {
		perms = []permission{}
	}
	return roleView{ID: r.id, Name: r.name, Slug: r.slug, Description: r.description, Permissions: perms,
		CreatedAt: stamp(r.created), UpdatedAt: stamp(r.updated)}
}

func (w *Workspace) roleByID(id int64) *role {
	return find(w.roles, id, func(r *role) int64 { return r.id })
}

func (w *Workspace) roleBySlug(slug string) *role {
	for _, r := range w.roles {
		if r.slug == slug {
			return r
		}
	}
	return nil
}

// parsePermission validates a PermissionInput ({entity, action, rules}).
func parsePermission(in *input, prefix string) permission {
	p := permission{Entity: in.required("entity"), Action: in.required("action"), Rules: json.RawMessage("{}")}
	if p.Action != "" && !contains(actions, p.Action) {
		in.errorf("action must be one of the following values: " + strings.Join(actions, ", "))
	}
	if rules, ok := in.object("rules"); ok {
		p.Rules = rules
	}
	for i := range in.errs {
		in.errs[i] = prefix + in.errs[i]
	}
	return p
}

// addPermission gives r the permission unless it has that entity and
// action already; the caller holds w.mu.
func (w *Workspace) addPermission(r *role, p permission) (permission, resp, bool) {
	for _, q := range r.perms {
		if q.Entity == p.Entity && q.Action == p.Action {
			return p, badRequest(fmt.Sprintf("Role %q already has the permission %s on %q", r.slug, p.Action, p.Entity)), false
		}
	}
	p.ID = w.srv.next(seqPermission)
	r.perms = append(r.perms, p)
	return p, resp{}, true
}

// applyRole validates a RoleCreate or RoleUpdate body into r. Permissions,
// when given, replace the role's permissions.
func (w *Workspace) applyRole(r *role, in *input, creating bool) (resp, bool) {
	name, hasName := in.str("name")
	if creating && name == "" {
		in.errorf("name should not be empty")
	}
	slug, hasSlug := in.str("slug")
	if creating && !hasSlug {
		slug, hasSlug = slugify(name), name != ""
	}
	if hasSlug && !validSlug(slug) {
		in.errorf("slug must contain only lowercase letters, digits, - and _")
	}
	desc, hasDesc := in.str("description")
	var perms []permission
	hasPerms := in.has("permissions")
	if hasPerms {
		var list []json.RawMessage
		if err := json.Unmarshal(in.m["permissions"], &list); err != nil {
			in.errorf("permissions must be an array")
		}
		for i, raw := range list {
			sub, res, ok := parseBody(raw)
			if !ok {
				return res, false
			}
			perms = append(perms, parsePermission(sub, fmt.Sprintf("permissions.%d.", i)))
			in.errs = append(in.errs, sub.errs...)
		}
	}
	if res, bad := in.failed(); bad {
		return res, false
	}
	if hasSlug && slug != r.slug && w.roleBySlug(slug) != nil {
		return badRequest(fmt.Sprintf("Role with slug %q already exists", slug)), false
	}
	if hasName && name != "" {
		r.name = name
	}
	if hasSlug {
		r.slug = slug
	}
	if hasDesc {
		r.description = desc
	}
	if hasPerms {
		r.perms = nil
		for _, p := range perms {
			if _, res, ok := w.addPermission(r, p); !ok {
				return res, false
			}
		}
	}
	return resp{}, true
}
