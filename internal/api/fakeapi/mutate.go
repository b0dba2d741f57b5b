package fakeapi

import (
	"fmt"
	"net/http"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// The methods in this file change a workspace directly, the way a person
// would in the Enspace UI, with the same validation as the API. They
// report failures as *api.Error with the status the API would answer.

// errOf turns a failed answer into an *api.Error.
func errOf(res resp) error { return api.ParseError(res.status, res.body) }

func notFoundErr(format string, args ...any) error {
	return errOf(notFound(fmt.Sprintf(format, args...)))
}

// CreateType creates a type from a TypeInput body ({"name", "slug", ...}).
func (w *Workspace) CreateType(body map[string]any) error {
	in, res, ok := parseBody(bodyOf(body))
	if !ok {
		return errOf(res)
	}
	now := w.srv.nowMS()
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &typeRec{created: now, updated: now}
	if res, ok := w.applyType(t, in, true); !ok {
		return errOf(res)
	}
	t.id = w.srv.next(seqType)
	w.types = append(w.types, t)
	return nil
}

// UpdateType changes a type's name, slug, description, icon, color or
// settings.
func (w *Workspace) UpdateType(slug string, changes map[string]any) error {
	in, res, ok := parseBody(bodyOf(changes))
	if !ok {
		return errOf(res)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(slug)
	if t == nil {
		return notFoundErr("Type %q not found", slug)
	}
	if res, ok := w.applyType(t, in, false); !ok {
		return errOf(res)
	}
	t.updated = w.srv.nowMS()
	return nil
}

// DeleteType deletes a type with its fields, items, forms, flows (with
// stages and tasks) and schedule tasks.
func (w *Workspace) DeleteType(slug string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(slug)
	if t == nil {
		return notFoundErr("Type %q not found", slug)
	}
	w.deleteType(t)
	return nil
}

// AddField adds a field to a type from a FieldInput body and returns its id.
func (w *Workspace) AddField(typeSlug string, body map[string]any) (int64, error) {
	in, res, ok := parseBody(bodyOf(body))
	if !ok {
		return 0, errOf(res)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(typeSlug)
	if t == nil {
		return 0, notFoundErr("Type %q not found", typeSlug)
	}
	f, res, ok := w.createField(t, in, w.srv.nowMS())
	if !ok {
		return 0, errOf(res)
	}
	return f.id, nil
}

// DeleteField deletes the field with the slug from a type.
func (w *Workspace) DeleteField(typeSlug, fieldSlug string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(typeSlug)
	if t == nil {
		return notFoundErr("Type %q not found", typeSlug)
	}
	f := t.fieldBySlug(fieldSlug)
	if f == nil {
		return notFoundErr("Field %q not found in type %q", fieldSlug, typeSlug)
	}
	t.fields = without(t.fields, func(x *field) bool { return x == f })
	return nil
}

// CreateItem creates an item with the given data, by the workspace owner,
// and returns its id.
func (w *Workspace) CreateItem(typeSlug string, data map[string]any) (int64, error) {
	in, res, ok := parseBody(bodyOf(map[string]any{"data": data}))
	if !ok {
		return 0, errOf(res)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.typeBySlug(typeSlug)
	if t == nil {
		return 0, notFoundErr("Type %q not found", typeSlug)
	}
	it, res, ok := w.createItem(t, in, w.ownerID(), w.srv.nowMS())
	if !ok {
		return 0, errOf(res)
	}
	return it.id, nil
}

// UpdateItem merges data into an item's data.
func (w *Workspace) UpdateItem(typeSlug string, id int64, data map[string]any) error {
	in, res, ok := parseBody(bodyOf(map[string]any{"data": data}))
	if !ok {
		return errOf(res)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t, i, err := w.itemAt(typeSlug, id)
	if err != nil {
		return err
	}
	if res, ok := w.updateItem(t, i, in, w.srv.nowMS()); !ok {
		return errOf(res)
	}
	return nil
}

// DeleteItem deletes an item.
func (w *Workspace) DeleteItem(typeSlug string, id int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, i, err := w.itemAt(typeSlug, id)
	if err != nil {
		return err
	}
	t.removeItem(i)
	return nil
}

// ItemIDs returns the ids of a type's items in order (nil for an unknown
// type).
func (w *Workspace) ItemIDs(typeSlug string) []int64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	t := w.typeBySlug(typeSlug)
	if t == nil {
		return nil
	}
	ids := make([]int64, len(t.items))
	for i := range t.items {
		ids[i] = t.items[i].id
	}
	return ids
}

// RemoveMember removes the member with the email; the owner cannot be
// removed.
func (w *Workspace) RemoveMember(email string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.memberByEmail(email)
	if m == nil {
		return notFoundErr("Member %q not found", email)
	}
	if m.mtype == "owner" {
		return errOf(badRequest("The workspace owner cannot be removed"))
	}
	w.removeMember(m)
	return nil
}

// itemAt finds an item; the caller holds w.mu.
func (w *Workspace) itemAt(typeSlug string, id int64) (*typeRec, int, error) {
	t := w.typeBySlug(typeSlug)
	if t == nil {
		return nil, 0, notFoundErr("Type %q not found", typeSlug)
	}
	i := t.itemIndex(id)
	if i < 0 {
		return nil, 0, errOf(fail(http.StatusNotFound, fmt.Sprintf("Item %d not found in type %q", id, typeSlug)))
	}
	return t, i, nil
}

// ownerID is the user id of the workspace owner; the caller holds w.mu.
func (w *Workspace) ownerID() int64 {
	for _, m := range w.members {
		if m.mtype == "owner" {
			return m.userID
		}
	}
	return w.srv.owner.id
}
