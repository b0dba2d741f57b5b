package fakeapi

import "fmt"

// lookupField returns the type and the field of the {type} and {id}
// parameters, or a 400/404 answer.
func (c *call) lookupField() (*typeRec, *field, resp, bool) {
	t, res, ok := c.lookupType()
	if !ok {
		return nil, nil, res, false
	}
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, nil, res, false
	}
	f := t.fieldByID(id)
	if f == nil {
		return nil, nil, notFound(fmt.Sprintf("Field %d not found in type %q", id, t.slug)), false
	}
	return t, f, resp{}, true
}

func fieldsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	return listOf(c, t.fields, func(f *field) any { return f.view() })
}

func fieldsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	_, f, res, ok := c.lookupField()
	if !ok {
		return res
	}
	return ok200(f.view())
}

func fieldsCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	f, res, ok := c.ws.createField(t, in, c.now)
	if !ok {
		return res
	}
	return ok200(f.view())
}

// createField adds a field to t; the caller holds w.mu.
func (w *Workspace) createField(t *typeRec, in *input, now int64) (*field, resp, bool) {
	f := &field{active: true, position: int64(len(t.fields) + 1), created: now, updated: now}
	if res, ok := w.applyField(t, f, in, true); !ok {
		return nil, res, false
	}
	f.id = w.srv.next(seqField)
	t.fields = append(t.fields, f)
	return f, resp{}, true
}

func fieldsUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	t, f, res, ok := c.lookupField()
	if !ok {
		return res
	}
	if c.s.opts.StrictFieldUpdate {
		for _, key := range []string{"name", "slug", "type"} {
			in.required(key)
		}
		if res, bad := in.failed(); bad {
			return res
		}
	}
	if res, ok := c.ws.applyField(t, f, in, false); !ok {
		return res
	}
	f.updated = c.now
	return ok200(f.view())
}

func fieldsDelete(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	t, f, res, ok := c.lookupField()
	if !ok {
		return res
	}
	t.fields = without(t.fields, func(x *field) bool { return x == f })
	return success()
}
