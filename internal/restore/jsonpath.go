package restore

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
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
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deletePath removes a dotted path without wildcards.
func deletePath(m map[string]any, path string) {
	segs := strings.Split(path, ".")
	cur := m
	for _, seg := range segs[:len(segs)-1] {
		next, ok := cur[seg].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	delete(cur, segs[len(segs)-1])
}

// visitPath calls fn for every value at path in m and stores what fn
// returns in its place. A segment "name[]" means every element of the list
// name; "*" means every key of an object. fn's keep=false removes a list
// element (and sets an object's value to nil).
func visitPath(m map[string]any, path string, fn func(key string, v any) (nv any, keep bool)) {
	visit(m, strings.Split(path, "."), "", fn)
}

func visit(node any, segs []string, key string, fn func(string, any) (any, bool)) {
	obj, ok := node.(map[string]any)
	if !ok || len(segs) == 0 {
		return
	}
	seg, rest := segs[0], segs[1:]
	var names []string
	list := strings.HasSuffix(seg, "[]")
	name := strings.TrimSuffix(seg, "[]")
	if name == "*" {
		for k := range obj {
			names = append(names, k)
		}
	} else if _, ok := obj[name]; ok {
		names = []string{name}
	}
	for _, n := range names {
		k := n
		if name != "*" {
			k = key
		}
		if list {
			elems, ok := obj[n].([]any)
			if !ok {
				continue
			}
			out := elems[:0:0]
			for _, e := range elems {
				if len(rest) > 0 {
					visit(e, rest, k, fn)
					out = append(out, e)
					continue
				}
				if nv, keep := fn(k, e); keep {
					out = append(out, nv)
				}
			}
			obj[n] = out
			continue
		}
		if len(rest) > 0 {
			visit(obj[n], rest, k, fn)
			continue
		}
		if nv, keep := fn(k, obj[n]); keep {
			obj[n] = nv
		} else {
			obj[n] = nil
		}
	}
}

// canonical encodes v with sorted keys (encoding/json sorts map keys).
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// marshalRaw encodes v as a JSON value.
func marshalRaw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// decodeRaw decodes a JSON value with numbers as json.Number.
func decodeRaw(raw json.RawMessage) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	err := d.Decode(&v)
	return v, err
}

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
