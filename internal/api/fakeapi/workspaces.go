package fakeapi

import (
	"fmt"
	"net/http"
)

// visibleWorkspaces are the workspaces the caller is a member of and the
// key may act in.
func (c *call) visibleWorkspaces() []*Workspace {
	c.s.mu.RLock()
	all := append([]*Workspace(nil), c.s.workspaces...)
	c.s.mu.RUnlock()
	var out []*Workspace
	for _, w := range all {
		if c.key.allows(w.slug) && w.isMember(c.user.id) {
			out = append(out, w)
		}
	}
	return out
}

func workspacesList(c *call) resp {
	rows := c.visibleWorkspaces()
	return listOf(c, rows, func(w *Workspace) any {
		w.mu.RLock()
		defer w.mu.RUnlock()
		return w.view()
	})
}

// workspacesCreate makes a new, empty workspace whose owner is the caller.
func workspacesCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	name := in.required("name")
	slug, hasSlug := in.str("slug")
	if !hasSlug {
		slug = slugify(name)
	}
	if hasSlug && !validSlug(slug) {
		in.errorf("slug must contain only lowercase letters, digits, - and _")
	}
	icon, _ := in.str("icon")
	if res, bad := in.failed(); bad {
		return res
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, w := range c.s.workspaces {
		if w.slug == slug {
			return badRequest(fmt.Sprintf("Workspace with slug %q already exists", slug))
		}
	}
	w := c.s.newWorkspace(name, slug, icon, c.now)
	w.addMember(c.user, "owner", 0, c.now)
	c.s.workspaces = append(c.s.workspaces, w)
	return ok200(w.view())
}

// newWorkspace builds an empty workspace (not yet registered).
func (s *Server) newWorkspace(name, slug, icon string, now int64) *Workspace {
	if icon == "" {
		icon = "building"
	}
	return &Workspace{srv: s, id: s.nextWorkspaceID(), name: name, slug: slug, icon: icon, created: now, updated: now}
}

func workspaceContext(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return ok200(c.ws.view())
}

func workspaceStats(c *call) resp { return ok200(c.ws.Counts()) }

// workspaceDeletionPreview answers what deleting the workspace would
// remove: everything it holds.
func workspaceDeletionPreview(c *call) resp { return ok200(c.ws.Counts()) }

// workspaceLeave ends the caller's membership; the owner cannot leave.
func workspaceLeave(c *call) resp {
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.memberOfUser(c.user.id)
	if m == nil {
		return forbidden()
	}
	if m.mtype == "owner" {
		return badRequest("The workspace owner cannot leave the workspace")
	}
	w.removeMember(m)
	return success()
}

// workspaceDelete deletes the workspace; only its owner may.
func workspaceDelete(c *call) resp {
	w := c.ws
	w.mu.RLock()
	owner := false
	if m := w.memberOfUser(c.user.id); m != nil {
		owner = m.mtype == "owner"
	}
	w.mu.RUnlock()
	if !owner {
		return fail(http.StatusForbidden, "Only the workspace owner can delete the workspace")
	}
	c.s.removeWorkspace(w)
	return success()
}
