package restore

import (
	"encoding/json"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// The JSON types a target gives the ids of a kind (Plan.IDTypes).
const (
	idString = "string"
	idNumber = "number"
)

// idTypes returns, by kind, the JSON type the ids of set's objects have:
// a reference written into the target has the type of the target's own
// ids, whatever the source's were. A kind set has no object of is absent.
func idTypes(set *Set) map[string]string {
	out := map[string]string{}
	for _, k := range kind.All() {
		if k.IDField == "" {
			continue
		}
		objs := set.Of(k.Name)
		if len(objs) == 0 {
			continue
		}
		if t := idTypeOf(decodeFields(objs[0].Raw)[k.IDField]); t != "" {
			out[k.Name] = t
		}
	}
	return out
}

// idTypeOf returns the JSON type of an id value, "" when it is neither a
// string nor a number.
func idTypeOf(v any) string {
	switch v.(type) {
	case string:
		return idString
	case json.Number, float64:
		return idNumber
	}
	return ""
}

// idValue returns the JSON value that names the target object id in a
// request: a number when the target's ids of its kind are numbers (typ,
// or, when it is not known, the type of the source's value src), a string
// otherwise. An id that is not a number literal is always a string.
func idValue(id, typ string, src any) any {
	if typ == "" {
		typ = idTypeOf(src)
	}
	if typ == idNumber && isNumberLiteral(id) {
		return json.Number(id)
	}
	return id
}

// isNumberLiteral reports whether s is a JSON number.
func isNumberLiteral(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	return jsonv.Valid([]byte(s))
}
