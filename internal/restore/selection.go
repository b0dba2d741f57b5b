package restore

import (
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// SelectAll selects every object that plans take part in, with group
// membership, every permission and every relation value.
func SelectAll() Selection {
	return Selection{
		Objects:            func(*Obj) bool { return true },
		PermissionEntities: func(string) bool { return true },
		GroupUsers:         true,
		LinkInto:           func(string) bool { return true },
	}
}

// SelectKinds selects every object of the given kinds (replicate).
// Permissions come with roles, membership with groups when members are
// selected, relation values with items.
func SelectKinds(kinds []string) Selection {
	set := map[string]bool{}
	for _, k := range kinds {
		set[k] = true
	}
	s := Selection{Objects: func(o *Obj) bool { return set[o.Kind] }, GroupUsers: set[kind.Groups] && set[kind.Members]}
	if set[kind.Items] {
		s.LinkInto = func(string) bool { return true }
	}
	return s
}

// SelectRestore selects what restoring sels brings back. A type brings
// its fields, items, forms, flows with their stages and tasks, schedule
// tasks, the relation fields of other types that point at it, the role
// permissions on it, and the relation values of other items that point at
// its items.
func SelectRestore(source *Set, sels []selector.Selector) Selection {
	types := map[string]bool{}
	for _, s := range sels {
		if s.Kind == kind.Types && !s.All {
			types[s.Value] = true
		}
		if s.Kind == kind.Types && s.All {
			for _, t := range source.Of(kind.Types) {
				types[t.Key] = true
			}
		}
	}
	groups := false
	for _, s := range sels {
		if s.Kind == kind.Groups {
			groups = true
		}
	}
	return Selection{
		Objects: func(o *Obj) bool {
			for _, s := range sels {
				if s.Match(o.Kind, o.Parent, o.Key, o.Raw) {
					return true
				}
			}
			if o.Kind == kind.Fields {
				// Relation fields of other types that point at one.
				if rel, target := isRelationField(o); rel && types[target] {
					return true
				}
			}
			// What lives under a selected type or is tied to one: forms,
			// flows with their stages and tasks, schedule tasks.
			return o.Kind != kind.Types && !selectedWithType(o.Kind) && types[typeOf(source, o)]
		},
		PermissionEntities: func(entity string) bool { return types[entity] },
		GroupUsers:         groups,
		LinkInto:           func(typeSlug string) bool { return types[typeSlug] },
	}
}

// selectedWithType reports whether a type selector matches objects of
// kind name itself (fields and items): the others under a type follow it
// only when the whole type is restored.
func selectedWithType(name kind.Name) bool {
	for _, n := range kind.SelectedWith(kind.Types) {
		if n == name {
			return true
		}
	}
	return false
}
