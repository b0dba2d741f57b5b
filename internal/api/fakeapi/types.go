package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// typeRec is a type (record schema) with its fields and items.
type typeRec struct {
	id          int64
	name        string
	slug        string
	description string
	icon        string
	color       string
	settings    json.RawMessage
	notes       json.RawMessage // Options.WritableExtra's field; nil: absent
	created     int64
	updated     int64
	fields      []*field // ordered by id
	items       []item   // ordered by id
}

// typeView is the Type shape; embedded as item_type it has no id.
type typeView struct {
	ID          int64           `json:"id,omitempty"`
	Name        string          `json:"name"`
	Slug        string          `json:"slug"`
	Description string          `json:"description"`
	Icon        string          `json:"icon"`
	Color       string          `json:"color"`
	Settings    json.RawMessage `json:"settings"`
	Notes       json.RawMessage `json:"notes,omitempty"` // Options.WritableExtra
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
}

func (t *typeRec) view(withID bool) typeView {
	v := typeView{Name: t.name, Slug: t.slug, Description: t.description, Icon: t.icon, Color: t.color,
		Settings: t.settings, Notes: t.notes, CreatedAt: stamp(t.created), UpdatedAt: stamp(t.updated)}
	if withID {
		v.ID = t.id
	}
	return v
}

// typeBySlug returns the type with the slug, or nil; the caller holds w.mu.
func (w *Workspace) typeBySlug(slug string) *typeRec {
	for _, t := range w.types {
		if t.slug == slug {
			return t
		}
	}
	return nil
}

// typeByID returns the type with the id, or nil; the caller holds w.mu.
func (w *Workspace) typeByID(id int64) *typeRec {
	return find(w.types, id, func(t *typeRec) int64 { return t.id })
}

// lookupType returns the type of the {type} parameter or a 404 answer.
func (c *call) lookupType() (*typeRec, resp, bool) {
	slug := c.params["type"]
	if slug == "" {
		return nil, failList(400, []string{"type should not be empty"}), false
	}
	if t := c.ws.typeBySlug(slug); t != nil {
		return t, resp{}, true
	}
	return nil, notFound(fmt.Sprintf("Type %q not found", slug)), false
}

// validSlug reports whether s is a slug: lowercase letters, digits, "-"
// and "_", starting with a letter or digit.
func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// slugify makes a slug from a name: "São Paulo" becomes "sao-paulo".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if a, ok := unaccent[r]; ok {
			r = a
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var unaccent = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ç': 'c', 'ñ': 'n',
}

// applyType validates a TypeInput body into t. Creating requires a name;
// a missing slug is made from the name.
func (w *Workspace) applyType(t *typeRec, in *input, creating bool) (resp, bool) {
	name, hasName := in.str("name")
	if creating && (!hasName || name == "") {
		in.errorf("name should not be empty")
	}
	slug, hasSlug := in.str("slug")
	if creating && !hasSlug && hasName {
		slug, hasSlug = slugify(name), true
	}
	if hasSlug && !validSlug(slug) {
		in.errorf("slug must contain only lowercase letters, digits, - and _")
	}
	desc, hasDesc := in.str("description")
	icon, hasIcon := in.str("icon")
	color, hasColor := in.str("color")
	settings, hasSettings := in.object("settings")
	notes, hasNotes := w.writableExtra(in)
	if res, bad := in.failed(); bad {
		return res, false
	}
	if hasSlug && slug != t.slug {
		if other := w.typeBySlug(slug); other != nil {
			return badRequest(fmt.Sprintf("Type with slug %q already exists", slug)), false
		}
	}
	if hasName && name != "" {
		t.name = name
	}
	if hasSlug && slug != t.slug {
		if !creating {
			w.renameTypeRefs(t.slug, slug)
		}
		t.slug = slug
	}
	if hasDesc {
		t.description = desc
	}
	if hasIcon {
		t.icon = icon
	}
	if hasColor {
		t.color = color
	}
	if hasSettings {
		t.settings = settings
	}
	if hasNotes {
		t.notes = notes
	}
	if t.settings == nil {
		t.settings = json.RawMessage("{}")
	}
	return resp{}, true
}

// renameTypeRefs follows a type's new slug in the references the server
// stores by slug: relation fields and quick tasks. Role permissions keep
// the old slug, as they keep a deleted type's slug.
func (w *Workspace) renameTypeRefs(from, to string) {
	for _, t := range w.types {
		for _, f := range t.fields {
			if f.ftype == "relation" && f.target == from {
				f.target = to
				f.options = relationOptions(to, f.multiple)
			}
		}
	}
	for _, q := range w.quickTasks {
		if q.itemType == from {
			q.itemType = to
		}
	}
}

// deleteType removes a type and everything that belongs to it: fields,
// items, forms, flows with their stages and tasks, schedule tasks.
func (w *Workspace) deleteType(t *typeRec) {
	w.types = without(w.types, func(x *typeRec) bool { return x == t })
	w.forms = without(w.forms, func(f *form) bool { return f.typeID == t.id })
	w.schedules = without(w.schedules, func(s *schedule) bool { return s.typeID == t.id })
	gone := map[int64]bool{}
	w.flows = without(w.flows, func(f *flow) bool {
		gone[f.id] = f.typeID == t.id
		return gone[f.id]
	})
	goneStages := map[int64]bool{}
	w.stages = without(w.stages, func(s *stage) bool {
		goneStages[s.id] = gone[s.flowID]
		return goneStages[s.id]
	})
	w.tasks = without(w.tasks, func(k *task) bool { return goneStages[k.stageID] })
	if w.srv.opts.ClearRelationsOnTypeDelete {
		w.clearRelationsTo(t.slug)
	}
}

// clearRelationsTo removes, from the items of every type, the values of
// relation fields that point at the type with the slug: the server that
// clears them when a type is deleted (Options.ClearRelationsOnTypeDelete).
func (w *Workspace) clearRelationsTo(slug string) {
	for _, ot := range w.types {
		for _, f := range ot.fields {
			if f.ftype != "relation" || f.target != slug {
				continue
			}
			for i := range ot.items {
				vals := decodeVals(ot.items[i].vals)
				kept := vals[:0]
				for _, v := range vals {
					if v.field != f.id {
						kept = append(kept, v)
					}
				}
				if len(kept) != len(vals) {
					ot.items[i].vals = encodeVals(kept)
				}
			}
		}
	}
}

func typesList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.types, func(t *typeRec) any { return t.view(true) })
}

func typesCount(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return c.count(len(c.ws.types))
}

func typesGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	return ok200(t.view(true))
}

func typesCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &typeRec{created: c.now, updated: c.now}
	if res, ok := w.applyType(t, in, true); !ok {
		return res
	}
	t.id = c.s.next(seqType)
	w.types = append(w.types, t)
	return ok200(t.view(true))
}

func typesUpdate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	if res, ok := w.applyType(t, in, false); !ok {
		return res
	}
	t.updated = c.now
	return ok200(t.view(true))
}

func typesDelete(c *call) resp {
	w := c.ws
	w.mu.Lock()
	defer w.mu.Unlock()
	t, res, ok := c.lookupType()
	if !ok {
		return res
	}
	w.deleteType(t)
	return success()
}
