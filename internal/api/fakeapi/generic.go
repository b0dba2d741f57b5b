package fakeapi

import (
	"encoding/json"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// The generic store serves, with Options.GenericKinds, the kinds of the
// kind table that the fake has no handlers of its own for: a kind added to
// the table is served as soon as its routes are in the route table. Its
// objects are kept as JSON objects per workspace, with a server-assigned
// id, created_at and updated_at; workspace-level kinds only.

// genericHandlers returns a handler for every route of the kind table
// that has no handler of its own.
func genericHandlers() map[string]handler {
	out := map[string]handler{}
	for _, k := range kind.All() {
		if k.Parent != "" {
			continue
		}
		name := k.Name
		for route, h := range map[string]handler{
			k.List:   func(c *call) resp { return genericList(c, name) },
			k.Count:  func(c *call) resp { return genericCount(c, name) },
			k.Get:    func(c *call) resp { return genericGet(c, name) },
			k.Create: func(c *call) resp { return genericCreate(c, name) },
			k.Update: func(c *call) resp { return genericUpdate(c, name) },
			k.Delete: func(c *call) resp { return genericDelete(c, name) },
		} {
			if route != "" && handlers[route] == nil {
				out[route] = h
			}
		}
	}
	return out
}

func genericList(c *call, name kind.Name) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.generic[name], func(m map[string]any) any { return m })
}

func genericCount(c *call, name kind.Name) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return c.count(len(c.ws.generic[name]))
}

// genericFind returns the index of the object c's {id} names, or a 404.
func genericFind(c *call, name kind.Name) (int, resp, bool) {
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return 0, res, false
	}
	for i, m := range c.ws.generic[name] {
		if m["id"] == id {
			return i, resp{}, true
		}
	}
	return 0, notFound(fmt.Sprintf("%s %d not found", name, id)), false
}

func genericGet(c *call, name kind.Name) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	i, res, ok := genericFind(c, name)
	if !ok {
		return res
	}
	return c.answer(c.ws.generic[name][i])
}

func genericBody(c *call) (map[string]any, resp, bool) {
	var m map[string]any
	if err := json.Unmarshal(c.body, &m); err != nil || m == nil {
		return nil, badRequest("the body must be a JSON object"), false
	}
	for _, f := range []string{"id", "created_at", "updated_at"} {
		delete(m, f)
	}
	return m, resp{}, true
}

func genericCreate(c *call, name kind.Name) resp {
	m, res, ok := genericBody(c)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	m["id"] = c.s.genericSeq.Add(1)
	m["created_at"], m["updated_at"] = stamp(c.now), stamp(c.now)
	if c.ws.generic == nil {
		c.ws.generic = map[kind.Name][]map[string]any{}
	}
	c.ws.generic[name] = append(c.ws.generic[name], m)
	return c.answer(m)
}

func genericUpdate(c *call, name kind.Name) resp {
	in, res, ok := genericBody(c)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	i, res, ok := genericFind(c, name)
	if !ok {
		return res
	}
	m := c.ws.generic[name][i]
	for k, v := range in {
		m[k] = v
	}
	m["updated_at"] = stamp(c.now)
	return c.answer(m)
}

func genericDelete(c *call, name kind.Name) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	i, res, ok := genericFind(c, name)
	if !ok {
		return res
	}
	objs := c.ws.generic[name]
	c.ws.generic[name] = append(objs[:i:i], objs[i+1:]...)
	return success()
}
