package jsonv

import (
	"fmt"
	"slices"
	"strings"
)

// stepKind tells what a pattern step matches.
type stepKind uint8

const (
	stepKey    stepKind = iota // one member name
	stepAnyKey                 // "*": any member name
	stepElem                   // "[]": any list element
)

type patStep struct {
	kind stepKind
	key  string
}

// Pattern is a compiled path pattern: member names joined by dots, where
// "*" stands for any member name and a trailing "[]" on a segment for
// every element of the list there ("data.*", "permissions[].id",
// "assignees.members[]", "m[][]"). The zero Pattern matches nothing.
type Pattern struct {
	text  string
	steps []patStep
}

// ParsePattern compiles a dotted path with "*" and "[]" segments. It fails
// with ErrBadPath on an empty path, an empty segment ("a..b") and brackets
// anywhere but as a trailing "[]". A pattern cannot start with "[]": it
// is applied to an object.
func ParsePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, fmt.Errorf("%w: empty path", ErrBadPath)
	}
	p := Pattern{text: s}
	for _, part := range strings.Split(s, ".") {
		name := part
		lists := 0
		for strings.HasSuffix(name, "[]") {
			name = strings.TrimSuffix(name, "[]")
			lists++
		}
		switch {
		case name == "" && (lists == 0 || len(p.steps) == 0):
			return Pattern{}, fmt.Errorf("%w: %q has an empty segment", ErrBadPath, s)
		case strings.ContainsAny(name, "[]"):
			return Pattern{}, fmt.Errorf("%w: %q: brackets are only allowed as a trailing \"[]\"", ErrBadPath, s)
		case name == "*":
			p.steps = append(p.steps, patStep{kind: stepAnyKey})
		case name != "":
			p.steps = append(p.steps, patStep{kind: stepKey, key: name})
		}
		for range lists {
			p.steps = append(p.steps, patStep{kind: stepElem})
		}
	}
	return p, nil
}

// MustPattern is ParsePattern for patterns written in the source; it
// panics on a bad one.
func MustPattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as parsed.
func (p Pattern) String() string { return p.text }

// Step is one step of a concrete path: a member name, or (Elem) a list
// element, whatever its position.
type Step struct {
	Key  string
	Elem bool
}

// Len returns the number of steps of the pattern: one per member name or
// "*", one per "[]".
func (p Pattern) Len() int { return len(p.steps) }

// MatchStep reports whether the pattern's i-th step matches s: a name
// matches that member, "*" any member, "[]" any list element. With Len it
// lets a caller match its own path type without building a []Step.
func (p Pattern) MatchStep(i int, s Step) bool {
	switch ps := p.steps[i]; ps.kind {
	case stepKey:
		return !s.Elem && s.Key == ps.key
	case stepAnyKey:
		return !s.Elem
	default:
		return s.Elem
	}
}

// MatchPrefix reports whether the pattern matches path or one of its
// ancestors (so that a pattern names everything below it too).
func (p Pattern) MatchPrefix(path []Step) bool {
	if len(p.steps) == 0 || len(p.steps) > len(path) {
		return false
	}
	for i := range p.steps {
		if !p.MatchStep(i, path[i]) {
			return false
		}
	}
	return true
}

// Match reports whether the pattern matches path exactly.
func (p Pattern) Match(path []Step) bool {
	return len(p.steps) == len(path) && p.MatchPrefix(path)
}

// Get returns the value at a pattern of member names only ("integration.slug")
// in v. It reports false when a member is missing, when something on the
// way is not an object, and for a pattern with "*" or "[]", which names
// many places (use Visit).
func (p Pattern) Get(v any) (any, bool) {
	if len(p.steps) == 0 {
		return nil, false
	}
	for _, s := range p.steps {
		obj, ok := v.(map[string]any)
		if !ok || s.kind != stepKey {
			return nil, false
		}
		if v, ok = obj[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// VisitFunc is called by Visit with each value at a pattern and the member
// name the last "*" of the pattern matched on the way ("" without one).
// What it returns replaces the value; keep=false removes a list element,
// or sets an object member to null.
type VisitFunc func(key string, v any) (nv any, keep bool)

// Visit calls fn for every value at the pattern in v, changing v in place
// with what fn returns. Members a "*" matches are visited in name order.
// Places that are absent, or not an object or list as the pattern expects,
// are passed over. A list the pattern goes through is replaced by a new
// list (its elements as fn left them).
func (p Pattern) Visit(v any, fn VisitFunc) {
	if len(p.steps) > 0 {
		visit(v, p.steps, "", fn)
	}
}

// visit applies the steps to v and returns what replaces it.
func visit(v any, steps []patStep, key string, fn VisitFunc) any {
	st, rest := steps[0], steps[1:]
	if st.kind == stepElem {
		list, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			if len(rest) > 0 {
				out = append(out, visit(e, rest, key, fn))
				continue
			}
			if nv, keep := fn(key, e); keep {
				out = append(out, nv)
			}
		}
		return out
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, name := range members(obj, st) {
		k := key
		if st.kind == stepAnyKey {
			k = name
		}
		if len(rest) > 0 {
			obj[name] = visit(obj[name], rest, k, fn)
			continue
		}
		nv, keep := fn(k, obj[name])
		if !keep {
			nv = nil
		}
		obj[name] = nv
	}
	return obj
}

// members returns the names of obj that a key step matches, sorted.
func members(obj map[string]any, st patStep) []string {
	if st.kind == stepKey {
		if _, ok := obj[st.key]; ok {
			return []string{st.key}
		}
		return nil
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Delete removes from v, in place, every member the pattern names; a
// pattern ending in "[]" empties the lists it names.
func (p Pattern) Delete(v any) {
	if len(p.steps) > 0 {
		del(v, p.steps)
	}
}

// del applies a deletion to v and returns what replaces it.
func del(v any, steps []patStep) any {
	st, rest := steps[0], steps[1:]
	if st.kind == stepElem {
		list, ok := v.([]any)
		if !ok {
			return v
		}
		if len(rest) == 0 {
			return []any{}
		}
		for i := range list {
			list[i] = del(list[i], rest)
		}
		return list
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, name := range members(obj, st) {
		if len(rest) == 0 {
			delete(obj, name)
			continue
		}
		obj[name] = del(obj[name], rest)
	}
	return obj
}
