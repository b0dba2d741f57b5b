package fakeapi

import (
	"fmt"
)

func (c *call) lookupRole() (*role, resp, bool) {
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, res, false
	}
	r := c.ws.roleByID(id)
	if r == nil {
		return nil, notFound(fmt.Sprintf("Role %d not found", id)), false
	}
	return r, resp{}, true
}

func rolesList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.roles, func(r *role) any { return r.view() })
}

func rolesCount(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return c.count(len(c.ws.roles))
}

func rolesGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	return c.answer(r.view())
}

func rolesCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	r := &role{created: c.now, updated: c.now}
	if res, ok := c.ws.applyRole(r, in, true); !ok {
		return res
	}
	r.id = c.s.next(seqRole)
	c.ws.roles = append(c.ws.roles, r)
	return c.answer(r.view())
}

func rolesUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	next := *r
	next.perms = append([]permission(nil), r.perms...)
	if res, ok := c.ws.applyRole(&next, in, false); !ok {
		return res
	}
	next.updated = c.now
	*r = next
	return c.answer(r.view())
}

// rolesDelete removes a role; members that had it keep no role.
func rolesDelete(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	c.ws.roles = without(c.ws.roles, func(x *role) bool { return x == r })
	for _, m := range c.ws.members {
		if m.role == r.id {
			m.role = 0
		}
	}
	return success()
}

func permissionsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	return c.list(len(r.perms), func(b []byte, i int) []byte { return append(b, marshal(r.perms[i])...) })
}

func permissionsAdd(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	p := parsePermission(in, "")
	if res, bad := in.failed(); bad {
		return res
	}
	p, res, ok = c.ws.addPermission(r, p)
	if !ok {
		return res
	}
	r.updated = c.now
	return ok200(p)
}

func permissionsRemove(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	r, res, ok := c.lookupRole()
	if !ok {
		return res
	}
	pid, res, ok := parseID(c.params["permission"])
	if !ok {
		return res
	}
	for i, p := range r.perms {
		if p.ID == pid {
			r.perms = append(r.perms[:i:i], r.perms[i+1:]...)
			r.updated = c.now
			return success()
		}
	}
	return notFound(fmt.Sprintf("Permission %d not found in role %d", pid, r.id))
}
