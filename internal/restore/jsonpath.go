package restore

import (
	"encoding/json"
	"strconv"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// copyFields returns a deep copy of an object's fields.
func copyFields(o *Obj) map[string]any { return deepCopy(o.Fields()).(map[string]any) }

// getPath reads a dotted path without wildcards ("integration.slug").
func getPath(m map[string]any, path string) (any, bool) {
	p, err := jsonv.ParsePattern(path)
	if err != nil {
		return nil, false
	}
	return p.Get(m)
}

// deletePath removes the members at a path pattern (see jsonv.Pattern).
func deletePath(m map[string]any, path string) {
	if p, err := jsonv.ParsePattern(path); err == nil {
		p.Delete(m)
	}
}

// visitPath calls fn for every value at a path pattern in m and stores
// what fn returns in its place (see jsonv.Pattern.Visit): "name[]" is
// every element of the list name, "*" every member of an object. fn's
// keep=false removes a list element (and sets an object's value to nil).
func visitPath(m map[string]any, path string, fn jsonv.VisitFunc) {
	if p, err := jsonv.ParsePattern(path); err == nil {
		p.Visit(m, fn)
	}
}

// exactText encodes v as encoding/json does (sorted members, numbers as
// written): the fingerprint of a target keeps it, so that plans saved by
// earlier builds still apply. For comparing values use jsonv.Equal.
func exactText(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// marshalRaw encodes v as a JSON value.
func marshalRaw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// decodeRaw decodes a JSON value with numbers as json.Number.
func decodeRaw(raw json.RawMessage) (any, error) { return jsonv.Decode(raw) }

// text returns a scalar JSON value as text: a string's contents or a
// number's digits; "" for anything else.
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return ""
}

// dataValues returns the members of an item's data named in fields,
// decoded, as decodeFields(raw)["data"] holds them (a member present as
// null is present, nil), without decoding the rest of the item: the
// links pass reads the relation values of every item that points into a
// restored type, and decoding each item whole cost most of a type plan's
// time. Raw that is not an object, or whose data is not one, has none.
func dataValues(raw []byte, fields map[string]string) map[string]any {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(top["data"], &data) != nil || data == nil {
		return nil
	}
	out := make(map[string]any, len(fields))
	for key := range fields {
		if v, ok := data[key]; ok {
			out[key], _ = jsonv.Decode(v)
		}
	}
	return out
}
