package restore

import (
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
// planned kind at workspace level, and the objects of the types that the
// selected objects belong to, point at, or are pointed at from. all reads
// every type.
func ScopeFor(source *Set, sel Selection, all bool) Scope {
	sc := Scope{Kinds: PlannedKinds()}
	if all {
		return sc
	}
	types := map[string]bool{}
	rels := relationFields(source)
	for _, name := range PlannedKinds() {
		for _, o := range source.Of(name) {
			if !sel.Objects(o) {
				continue
			}
			if t := typeOf(source, o); t != "" {
				types[t] = true
			}
			if o.Kind == kind.QuickTasks {
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
		for from, fields := range rels {
			for _, target := range fields {
				if sel.LinkInto(target) {
					types[from] = true // items there point into the selection
				}
			}
		}
	}
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
