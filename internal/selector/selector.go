// Package selector parses the selectors that name objects of a workspace
// on the command line: "type:contracts", "item:contracts/1001",
// "field:contracts/client", "role:analyst", "group:Finance",
// "member:ana@acme.com", "integration:75", "quick-task:4", or a kind name
// ("members") for every object of that kind.
//
// A selector names objects; it does not find them. Finding is the job of
// whoever holds the objects (a snapshot, a live workspace): Match tells
// whether one object is selected.
package selector

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// ErrSyntax is returned by Parse for a selector it cannot read.
var ErrSyntax = errors.New("bad selector")

// Selector names a set of objects.
type Selector struct {
	Text string // as written
	// Kind is the kind of the objects named; for a type selector, types
	// (Match then also selects the type's fields and items: the kinds
	// SelectedWithParent under it).
	Kind kind.Name
	// Parent is the parent key of the objects (the type slug of an item or
	// field), "" when the kind has no parent or for a whole kind.
	Parent string
	// Field is the JSON field compared with Value: "" compares the object's
	// key in the snapshot (a type's slug, an item's id).
	Field string
	Value string
	// All selects every object of Kind.
	All bool
}

// Parse reads one selector.
func Parse(text string) (Selector, error) {
	s := Selector{Text: text}
	prefix, value, ok := strings.Cut(text, ":")
	if !ok {
		k, err := kind.ByName(text)
		if err != nil || k.Name != text {
			return s, fmt.Errorf("%w %q: want KIND (such as members) or PREFIX:VALUE with PREFIX one of %s", ErrSyntax, text, prefixes())
		}
		s.Kind, s.All = k.Name, true
		return s, nil
	}
	k := kind.BySelector(prefix)
	if k == nil {
		return s, fmt.Errorf("%w %q: unknown prefix %q (known: %s)", ErrSyntax, text, prefix, prefixes())
	}
	s.Kind, s.Field = k.Name, k.SelectorField
	if k.SelectorTyped {
		slug, rest, ok := strings.Cut(value, "/")
		if !ok || slug == "" || rest == "" {
			return s, fmt.Errorf("%w %q: want %s:TYPE/%s", ErrSyntax, text, prefix, strings.ToUpper(orKey(k.SelectorField)))
		}
		s.Parent, value = slug, rest
	}
	if value == "" {
		return s, fmt.Errorf("%w %q: nothing after %q", ErrSyntax, text, prefix+":")
	}
	s.Value = value
	return s, nil
}

func orKey(field string) string {
	if field == "" {
		return "id"
	}
	return field
}

func prefixes() string { return strings.Join(kind.Selectors(), ", ") }

// Match reports whether the object of kind name with parent key parent, key key
// and JSON raw is selected. A type selector also selects the fields and
// items of that type.
func (s Selector) Match(name kind.Name, parent, key string, raw []byte) bool {
	if s.All {
		return name == s.Kind
	}
	if slices.Contains(kind.SelectedWith(s.Kind), name) {
		return parent == s.Value
	}
	if name != s.Kind || (s.Parent != "" && parent != s.Parent) {
		return false
	}
	if s.Field == "" {
		return key == s.Value
	}
	if key == s.Value {
		return true // field:contracts/12 by id works too
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return false
	}
	var v string
	if json.Unmarshal(obj[s.Field], &v) != nil {
		return false
	}
	k := kind.Of(s.Kind)
	return strings.EqualFold(v, s.Value) && ((k != nil && k.FoldKey) || v == s.Value)
}

// Kinds returns the kinds whose objects Match may select.
func (s Selector) Kinds() []kind.Name {
	if !s.All {
		return append([]kind.Name{s.Kind}, kind.SelectedWith(s.Kind)...)
	}
	return []kind.Name{s.Kind}
}

// Single reports whether the selector names at most one object.
func (s Selector) Single() bool { return !s.All && len(kind.SelectedWith(s.Kind)) == 0 }
