package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

// itemIndex returns the index of the item with the id in t.items, or -1.
func (t *typeRec) itemIndex(id int64) int {
	i := sort.Search(len(t.items), func(i int) bool { return t.items[i].id >= id })
	if i < len(t.items) && t.items[i].id == id {
		return i
	}
	return -1
}

// lookupItem returns the type and the index of the {type} and {id} item.
func (c *call) lookupItem() (*typeRec, int, resp, bool) {
	t, res, ok := c.lookupType()
	if !ok {
		return nil, 0, res, false
	}
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return nil, 0, res, false
	}
	i := t.itemIndex(id)
	if i < 0 {
		return nil, 0, notFound(fmt.Sprintf("Item %d not found in type %q", id, t.slug)), false
	}
	return t, i, resp{}, true
}

// itemData validates an ItemInput body ({"data": {...}}) for type t.
// Creating, every required active field must be present; updating, the
// changes are merged over old, or replace it (Options.ReplaceOnUpdate, when
// required fields must be present as on create).
func (w *Workspace) itemData(t *typeRec, in *input, old string, creating bool) (string, resp, bool) {
	obj, ok := in.object("data")
	if !ok {
		if len(in.errs) == 0 {
			in.errorf("data should not be empty")
		}
		res, _ := in.failed()
		return "", res, false
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(obj, &data); err != nil {
		return "", badRequest("data must be an object"), false
	}
	var msgs []string
	var changes []value
	for _, key := range sortedKeys(data) {
		f := t.fieldBySlug(key)
		if f == nil {
			msgs = append(msgs, fmt.Sprintf("data.%s is not a field of type %q", key, t.slug))
			continue
		}
		msg := w.checkValue(f, data[key])
		if msg == "" && f.required && f.active && string(compact(data[key])) == `""` {
			msg = "data." + f.slug + " should not be empty"
		}
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		changes = append(changes, value{field: f.id, raw: normalize(data[key])})
	}
	if creating || w.srv.opts.ReplaceOnUpdate {
		for _, f := range t.fields {
			if _, given := data[f.slug]; f.required && f.active && !given {
				msgs = append(msgs, "data."+f.slug+" should not be empty")
			}
		}
	}
	if len(msgs) > 0 {
		return "", failList(http.StatusBadRequest, msgs), false
	}
	if !creating && w.srv.opts.ReplaceOnUpdate {
		old = ""
	}
	return encodeVals(w.srv.mergeData(decodeVals(old), changes)), resp{}, true
}

func itemsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	return c.list(len(t.items), func(b []byte, i int) []byte { return c.s.appendItem(b, t, &t.items[i]) })
}

func itemsCount(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	return c.count(len(t.items))
}

func itemsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, i, res, ok := c.lookupItem()
	if !ok {
		return res
	}
	return resp{status: http.StatusOK, body: c.s.appendItem(nil, t, &t.items[i])}
}

func itemsCreate(c *call) resp {
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
	it, res, ok := c.ws.createItem(t, in, c.user.id, c.now)
	if !ok {
		return res
	}
	return resp{status: http.StatusOK, body: c.s.appendItem(nil, t, it)}
}

// createItem validates and appends an item; the caller holds w.mu.
func (w *Workspace) createItem(t *typeRec, in *input, userID, now int64) (*item, resp, bool) {
	vals, res, ok := w.itemData(t, in, "", true)
	if !ok {
		return nil, res, false
	}
	t.items = append(t.items, item{id: w.srv.next(seqItem), created: now, updated: now, user: userID, vals: vals})
	return &t.items[len(t.items)-1], resp{}, true
}

func itemsUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	t, i, res, ok := c.lookupItem()
	if !ok {
		return res
	}
	if res, ok := c.ws.updateItem(t, i, in, c.now); !ok {
		return res
	}
	return resp{status: http.StatusOK, body: c.s.appendItem(nil, t, &t.items[i])}
}

// updateItem merges a body into item i of t; the caller holds w.mu.
func (w *Workspace) updateItem(t *typeRec, i int, in *input, now int64) (resp, bool) {
	vals, res, ok := w.itemData(t, in, t.items[i].vals, false)
	if !ok {
		return res, false
	}
	t.items[i].vals = vals
	t.items[i].updated = now
	return resp{}, true
}

func itemsDelete(c *call) resp {
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	t, i, res, ok := c.lookupItem()
	if !ok {
		return res
	}
	t.removeItem(i)
	return success()
}

// removeItem deletes item i, keeping the order.
func (t *typeRec) removeItem(i int) {
	copy(t.items[i:], t.items[i+1:])
	t.items[len(t.items)-1] = item{}
	t.items = t.items[:len(t.items)-1]
}

// drift inserts or deletes one item of the listed type before a page is
// served, the way other users change data while a client pages. A delete
// hits a row before the requested page, so the following rows shift back
// and a client paging by offset skips one. It reports whether it changed
// anything.
func (w *Workspace) drift(c *call, draw uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(c.params["type"])
	if t == nil || len(t.items) == 0 {
		return false
	}
	n := uint64(len(t.items))
	if draw%2 == 0 {
		src := t.items[(draw/2)%n]
		t.items = append(t.items, item{id: w.srv.next(seqItem), created: c.now, updated: c.now, user: src.user, vals: src.vals})
		return true
	}
	from, _ := c.pageRange(len(t.items))
	span := uint64(from)
	if span == 0 || span > n {
		span = n
	}
	t.removeItem(int((draw / 2) % span))
	return true
}
