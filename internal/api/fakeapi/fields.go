package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// fieldTypes are the field types the server accepts: the documented ones
// and relation.
var fieldTypes = []string{"text", "number", "date", "select", "boolean", "email", "url", "relation"}

// field is a field of a type.
type field struct {
	id           int64
	name         string
	slug         string
	ftype        string
	required     bool
	active       bool
	defaultValue json.RawMessage // nil is null
	options      json.RawMessage
	position     int64
	created      int64
	updated      int64

	// Parsed from options.
	target   string   // relation: the target type's slug
	multiple bool     // relation or select: a list of values
	choices  []string // select: the allowed values (empty: any)
}

type fieldView struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	Type         string          `json:"type"`
	Required     bool            `json:"required"`
	DefaultValue json.RawMessage `json:"defaultValue"`
	Options      json.RawMessage `json:"options"`
	Position     int64           `json:"position"`
	Active       bool            `json:"active"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
}

func (f *field) view() fieldView {
	def := f.defaultValue
	if def == nil {
		def = json.RawMessage("null")
	}
	return fieldView{ID: f.id, Name: f.name, Slug: f.slug, Type: f.ftype, Required: f.required,
		DefaultValue: def, Options: f.options, Position: f.position, Active: f.active,
		CreatedAt: stamp(f.created), UpdatedAt: stamp(f.updated)}
}

func (t *typeRec) fieldBySlug(slug string) *field {
	for _, f := range t.fields {
		if f.slug == slug {
			return f
		}
	}
	return nil
}

func (t *typeRec) fieldByID(id int64) *field {
	return find(t.fields, id, func(f *field) int64 { return f.id })
}

func relationOptions(target string, multiple bool) json.RawMessage {
	return marshal(struct {
		Type     string `json:"type"`
		Multiple bool   `json:"multiple"`
	}{target, multiple})
}

// fieldOptions is what the server reads from a field's options.
type fieldOptions struct {
	Type     *string           `json:"type"`
	Multiple *bool             `json:"multiple"`
	Choices  []json.RawMessage `json:"choices"`
}

// applyField validates a FieldInput body into f. "config" and "order" are
// accepted for "options" and "position".
func (w *Workspace) applyField(t *typeRec, f *field, in *input, creating bool) (resp, bool) {
	get := in.str
	if creating {
		get = func(k string) (string, bool) { s := in.required(k); return s, s != "" }
	}
	name, hasName := get("name")
	slug, hasSlug := get("slug")
	ftype, hasType := get("type")
	if hasSlug && !validSlug(slug) {
		in.errorf("slug must contain only lowercase letters, digits, - and _")
	}
	if hasType && !contains(fieldTypes, ftype) {
		in.errorf("type must be one of the following values: " + strings.Join(fieldTypes, ", "))
	}
	required, hasRequired := in.boolean("required")
	active, hasActive := in.boolean("active")
	def, hasDef := in.value("defaultValue")
	opts, hasOpts := in.object("options")
	if !hasOpts {
		opts, hasOpts = in.object("config")
	}
	pos, hasPos := in.integer("position")
	if !in.present("position") {
		pos, hasPos = in.integer("order")
	}
	if res, bad := in.failed(); bad {
		return res, false
	}
	if hasSlug && slug != f.slug && t.fieldBySlug(slug) != nil {
		return badRequest(fmt.Sprintf("Field with slug %q already exists in type %q", slug, t.slug)), false
	}
	next := *f
	if hasName {
		next.name = name
	}
	if hasSlug {
		next.slug = slug
	}
	if hasType {
		next.ftype = ftype
	}
	if hasOpts {
		next.options = opts
	}
	if next.options == nil {
		next.options = json.RawMessage("{}")
	}
	if res, ok := w.parseOptions(&next); !ok {
		return res, false
	}
	if hasRequired {
		next.required = required
	}
	if hasActive {
		next.active = active
	}
	if hasDef {
		next.defaultValue = def
		if isNull(def) {
			next.defaultValue = nil
		}
	}
	if hasPos {
		next.position = pos
	}
	if !creating && next.slug != f.slug {
		w.renameFieldRefs(t, f.slug, next.slug)
	}
	*f = next
	return resp{}, true
}

// parseOptions reads the options the server enforces; a relation field
// must name an existing type.
func (w *Workspace) parseOptions(f *field) (resp, bool) {
	var o fieldOptions
	if err := json.Unmarshal(f.options, &o); err != nil {
		return badRequest("options must be an object"), false
	}
	f.target, f.multiple, f.choices = "", false, nil
	if o.Multiple != nil {
		f.multiple = *o.Multiple
	}
	switch f.ftype {
	case "relation":
		if o.Type == nil || w.typeBySlug(*o.Type) == nil {
			return badRequest(fmt.Sprintf("Relation field %q needs options.type naming an existing type", f.slug)), false
		}
		f.target = *o.Type
	case "select":
		for _, c := range o.Choices {
			var s string
			var obj struct {
				Value *string `json:"value"`
			}
			switch {
			case json.Unmarshal(c, &s) == nil:
				f.choices = append(f.choices, s)
			case json.Unmarshal(c, &obj) == nil && obj.Value != nil:
				f.choices = append(f.choices, *obj.Value)
			default:
				return badRequest("options.choices must be a list of strings or of {\"value\": ...}"), false
			}
		}
	}
	return resp{}, true
}

// renameFieldRefs follows a field's new slug in the forms and schedule
// tasks of its type, which name fields by slug.
func (w *Workspace) renameFieldRefs(t *typeRec, from, to string) {
	for _, f := range w.forms {
		if f.typeID != t.id {
			continue
		}
		for i, s := range f.fields {
			if s == from {
				f.fields[i] = to
			}
		}
	}
	for _, s := range w.schedules {
		if s.typeID == t.id && s.referenceField == from {
			s.referenceField = to
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
