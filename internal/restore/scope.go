package restore

import (
	"slices"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// PlannedKinds returns the kinds that take part in plans, in table order.
func PlannedKinds() []string {
	var out []string
	for _, k := range kind.All() {
		if planned(k) {
			out = append(out, k.Name)
		}
	}
	return out
}

// ScopeFor returns what of the target a plan for sel needs to read: every
// planned kind at workspace level (quick tasks only when the plan can
// touch them), and the objects of the types that the selected objects
// belong to, point at, or are pointed at from. all reads every type.
//
// The items of a type are listed only when the type is restored whole or
// its items point into one that is (the links pass needs them all);
// otherwise the scope names the target items the plan can match or
// reference (see targetItemIDs), and only those are read, by id. ids and
// same are the id map and whether source and target are one workspace,
// as Build gets them.
func ScopeFor(source *Set, sel Selection, all bool, ids IDs, same bool) Scope {
	sc := Scope{Kinds: PlannedKinds()}
	if all {
		return sc
	}
	types := map[string]bool{}
	whole := map[string]bool{} // types whose items are listed
	rels := relationFields(source)
	quickTasks := false
	for _, name := range PlannedKinds() {
		for _, o := range source.Of(name) {
			if !sel.Objects(o) {
				continue
			}
			if t := typeOf(source, o); t != "" {
				types[t] = true
			}
			if o.Kind == kind.QuickTasks {
				quickTasks = true
				if v, ok := getPath(o.Fields(), "item.type"); ok && text(v) != "" {
					types[text(v)] = true
				}
			}
		}
	}
	for t := range copyKeys(types) {
		for _, target := range rels[t] {
			types[target] = true // relation values of the selected items resolve there
		}
	}
	if sel.LinkInto != nil {
		for _, t := range source.Of(kind.Types) {
			if sel.LinkInto(t.Key) {
				whole[t.Key], quickTasks = true, true // quick tasks are re-linked to its items
			}
		}
		for from, fields := range rels {
			for _, target := range fields {
				if sel.LinkInto(target) {
					types[from], whole[from] = true, true // items there point into the selection
				}
			}
		}
	}
	if !quickTasks {
		sc.Kinds = slices.DeleteFunc(sc.Kinds, func(k string) bool { return k == kind.QuickTasks })
	}
	sc.Items = targetItemIDs(source, sel, types, whole, ids, same)
	sc.Types = []string{}
	for t := range types {
		sc.Types = append(sc.Types, t)
	}
	sort.Strings(sc.Types)
	if len(sc.Types) == 0 {
		sc.Types = []string{""} // no type's objects: an empty slug matches none
	}
	return sc
}

func copyKeys(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// typeOf returns the slug of the type an object belongs to: through its
// parents, or the key reference of a kind tied to types (a schedule
// task's type); "" for other workspace-level objects.
func typeOf(set *Set, o *Obj) string {
	for o != nil {
		k := kind.Of(o.Kind)
		switch {
		case k == nil:
			return ""
		case k.Name == kind.Types:
			return o.Key
		case k.TiedTo == kind.Types:
			v, _ := getPath(o.Fields(), k.TiedPath)
			return text(v)
		case k.Parent == kind.Types:
			return o.Parent
		case k.Parent == "":
			return ""
		}
		pk := kind.Of(k.Parent)
		if pk == nil || k.ParentField != pk.IDField {
			return ""
		}
		o = set.ByID(pk.Name, o.Parent)
	}
	return ""
}
