package diff

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ordered compares two lists whose order matters. The common head and
// tail (equal elements) are skipped; the elements between are compared
// position by position, and the longer side's extra elements are reported
// as added or removed at their position. This names a single insertion,
// removal or edit by its position, and the result is the same, sides
// swapped, when old and new are swapped.
func (w *walker) ordered(p path, a, b []any) {
	if len(a) == len(b) {
		for i := range a {
			w.value(p.index(i), a[i], b[i])
		}
		return
	}
	// Elements are compared at p[] (any element): paths are a stack, so
	// the path is rebuilt after each walk reused its slot.
	same := func(x, y any) bool { return w.c.equal(p.with(seg{kind: segAny}), x, y) }
	short := min(len(a), len(b))
	head := 0
	for head < short && same(a[head], b[head]) {
		w.value(p.index(head), a[head], b[head]) // only server noise can differ
		head++
	}
	tail := 0
	for tail < short-head && same(a[len(a)-1-tail], b[len(b)-1-tail]) {
		w.value(p.index(len(b)-1-tail), a[len(a)-1-tail], b[len(b)-1-tail])
		tail++
	}
	midA, midB := a[head:len(a)-tail], b[head:len(b)-tail]
	for i := range max(len(midA), len(midB)) {
		q := p.index(head + i)
		switch {
		case i < len(midA) && i < len(midB):
			w.value(q, midA[i], midB[i])
		case i < len(midA):
			w.emit(q, Removed, midA[i], nil)
		default:
			w.emit(q, Added, nil, midB[i])
		}
	}
}

// element is one member of an unordered list.
type element struct {
	v     any
	canon string
	id    string
}

// unordered compares two lists as multisets. Elements with the same
// canonical form match and are not reported (beyond server noise). The
// others are grouped by identity (see identity): within a group, old and
// new elements are paired in canonical order and compared field by field
// under the identity's path; what remains is reported as removed or added.
func (w *walker) unordered(p path, a, b []any) {
	q := p.with(seg{kind: segAny})
	ea, eb := w.elements(q, a), w.elements(q, b)
	var restA, restB []element
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		switch {
		case j == len(eb) || (i < len(ea) && ea[i].canon < eb[j].canon):
			restA = append(restA, ea[i])
			i++
		case i == len(ea) || eb[j].canon < ea[i].canon:
			restB = append(restB, eb[j])
			j++
		default:
			w.value(p.elem(ea[i].id), ea[i].v, eb[j].v) // only server noise can differ
			i++
			j++
		}
	}
	byID := func(x, y element) int {
		return cmp.Or(strings.Compare(x.id, y.id), strings.Compare(x.canon, y.canon))
	}
	slices.SortStableFunc(restA, byID)
	slices.SortStableFunc(restB, byID)
	i, j = 0, 0
	for i < len(restA) || j < len(restB) {
		switch {
		case j == len(restB) || (i < len(restA) && restA[i].id < restB[j].id):
			w.emit(p.elem(restA[i].id), Removed, restA[i].v, nil)
			i++
		case i == len(restA) || restB[j].id < restA[i].id:
			w.emit(p.elem(restB[j].id), Added, nil, restB[j].v)
			j++
		default:
			w.value(p.elem(restA[i].id), restA[i].v, restB[j].v)
			i++
			j++
		}
	}
}

// elements returns a list's elements with their canonical form and
// identity, sorted by canonical form.
func (w *walker) elements(q path, list []any) []element {
	out := make([]element, len(list))
	for i, v := range list {
		out[i] = element{v: v, canon: w.c.canonString(q, v), id: w.c.identity(q, v)}
	}
	slices.SortStableFunc(out, func(x, y element) int { return strings.Compare(x.canon, y.canon) })
	return out
}

// identity names an element of an unordered list found at q:
//
//   - a scalar by its value: "=14", `="São Paulo"`;
//   - an object with an "id" member that is not server-assigned by it:
//     "id=50";
//   - another object by its scalar members that are not server-assigned,
//     sorted by name: "action=read,entity=contracts";
//   - anything else (a list, an object without such members) by "=" and
//     its canonical JSON.
//
// Strings are written bare when they are words (letters, digits and
// "_-.@:/", starting with a letter or '_'), quoted otherwise.
func (c *compiled) identity(q path, v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		if s, ok := scalarText(v); ok {
			return "=" + s
		}
		return "=" + c.canonString(q, v)
	}
	if id, ok := obj["id"]; ok && id != nil && !c.isServer(q.key("id")) {
		if s, ok := scalarText(id); ok {
			return "id=" + s
		}
	}
	var parts []string
	for _, k := range sortedKeys(obj) {
		if c.isServer(q.key(k)) || obj[k] == nil {
			continue // null is absent
		}
		if s, ok := scalarText(obj[k]); ok {
			name := k
			if !plainWord(k) {
				name = strconv.Quote(k)
			}
			parts = append(parts, name+"="+s)
		}
	}
	if len(parts) == 0 {
		return "=" + c.canonString(q, v)
	}
	return strings.Join(parts, ",")
}

// scalarText writes a scalar for an identity; ok is false for objects and
// lists.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		if bareValue(v) {
			return v, true
		}
		return strconv.Quote(v), true
	case json.Number:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
		return "null", true
	}
	return "", false
}

// bareValue reports whether a string can stand unquoted in an identity
// without looking like a number or a literal.
func bareValue(s string) bool {
	if s == "" || s == "true" || s == "false" || s == "null" {
		return false
	}
	for i, r := range s {
		letter := unicode.IsLetter(r) || r == '_'
		if i == 0 && !letter {
			return false
		}
		if !letter && !unicode.IsDigit(r) && !strings.ContainsRune("-.@:/", r) {
			return false
		}
	}
	return true
}
