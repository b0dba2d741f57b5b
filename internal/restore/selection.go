package restore

import (
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
	s := Selection{Objects: func(o *Obj) bool { return set[o.Kind] }, GroupUsers: set["groups"] && set["members"]}
	if set["items"] {
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
		if s.Kind == "types" && !s.All {
			types[s.Value] = true
		}
		if s.Kind == "types" && s.All {
			for _, t := range source.Of("types") {
				types[t.Key] = true
			}
		}
	}
	// Processes of the selected types: flows, their stages, their tasks.
	flows, stages := map[string]bool{}, map[string]bool{}
	for _, f := range source.Of("flows") {
		if types[f.Parent] {
			flows[f.ID] = true
		}
	}
	for _, st := range source.Of("stages") {
		if flows[st.Parent] {
			stages[st.ID] = true
		}
	}
	groups := false
	for _, s := range sels {
		if s.Kind == "groups" {
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
			switch o.Kind {
			case "forms", "flows":
				return types[o.Parent]
			case "stages":
				return flows[o.Parent]
			case "tasks":
				return stages[o.Parent]
			case "schedule-tasks":
				return types[text(o.Fields()["type"])]
			case "fields":
				rel, target := isRelationField(o)
				return rel && types[target]
			}
			return false
		},
		PermissionEntities: func(entity string) bool { return types[entity] },
		GroupUsers:         groups,
		LinkInto:           func(typeSlug string) bool { return types[typeSlug] },
	}
}
