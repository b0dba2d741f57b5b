package restore

import (
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// Levels: the order in which steps are applied. Steps of one level do not
// depend on each other.
const (
	levelIntegrations = iota
	levelTypes
	levelFields
	levelRelationFields
	levelRoles
	levelPermissions
	levelGroups
	levelMembers
	levelGroupUsers
	levelItems
	levelLinks
	levelLast // tasks, quick tasks, and the kinds only a person can write
	levelDeletes
)

var kindLevels = map[string]int{
	"integrations": levelIntegrations, "types": levelTypes, "fields": levelFields,
	"roles": levelRoles, KindPermissions: levelPermissions, "groups": levelGroups,
	"members": levelMembers, KindGroupUsers: levelGroupUsers, "items": levelItems,
}

func levelOf(kind string) int {
	if l, ok := kindLevels[kind]; ok {
		return l
	}
	return levelLast
}

// kindOrder is a kind's position in the kind table; pseudo kinds follow
// the kind they belong to.
func kindOrder(kind string) int {
	switch kind {
	case KindPermissions:
		kind = "roles"
	case KindGroupUsers:
		kind = "groups"
	}
	for i, k := range api.Kinds() {
		if k.Name == kind {
			return 2 * i
		}
	}
	return 1 << 20
}

// planned reports whether objects of k take part in plans at all: audit
// kinds never do, and neither does the workspace itself (its name and
// slug are not a restore's to change).
func planned(k *api.Kind) bool {
	return k.Restorable() && !k.Singleton && k.IDField != ""
}

// view returns what of an object is written and compared: the object
// without server-assigned fields, secrets and embedded collections, and
// for some kinds a shape of its own. References are still source ids.
func view(k *api.Kind, o *Obj) map[string]any {
	m := copyFields(o)
	switch k.Name {
	case "items":
		return map[string]any{"data": m["data"]}
	case "members":
		// The e-mail is the key (matched without regard to case); the
		// API cannot change it.
		return map[string]any{"type": m["type"], "role": m["role"], "status": m["status"]}
	case "integrations":
		data, _ := m["data"].(map[string]any)
		for _, s := range k.Secrets {
			if after, ok := strings.CutPrefix(s, "data."); ok {
				delete(data, after)
			}
		}
		return map[string]any{"provider": provider(o), "data": data}
	case "stages":
		delete(m, "flow")
		delete(m, "tasks")
		delete(m, "item_type")
	case "flows":
		delete(m, "item_type")
	}
	for _, p := range k.ServerAssigned {
		if !strings.Contains(p, "[]") {
			deletePath(m, p)
		}
	}
	for _, s := range k.Secrets {
		deletePath(m, s)
	}
	for _, s := range k.Subs {
		delete(m, s.Field)
	}
	return m
}

// provider returns an integration's catalogue slug.
func provider(o *Obj) string {
	v, _ := getPath(o.Fields(), "integration.slug")
	return text(v)
}

// providerID returns an integration's catalogue id.
func providerID(o *Obj) any {
	v, _ := getPath(o.Fields(), "integration.id")
	return v
}

// naturalKey returns the values of a kind's natural key for an object, ""
// when it has none.
func naturalKey(k *api.Kind, o *Obj) string {
	if len(k.NaturalKey) == 0 {
		return ""
	}
	var parts []string
	for _, p := range k.NaturalKey {
		v, ok := getPath(o.Fields(), p)
		if !ok || text(v) == "" {
			return ""
		}
		s := text(v)
		if p == "email" {
			s = strings.ToLower(s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\x00")
}

// describeKey says which natural key matched, for the plan: "slug contracts".
func describeKey(k *api.Kind, o *Obj) string {
	var parts []string
	for _, p := range k.NaturalKey {
		v, _ := getPath(o.Fields(), p)
		parts = append(parts, p+" "+text(v))
	}
	return strings.Join(parts, ", ")
}

// label returns a readable name for an object.
func label(k *api.Kind, o *Obj) string {
	for _, p := range k.LabelFields {
		if v, ok := getPath(o.Fields(), p); ok && text(v) != "" {
			return text(v)
		}
	}
	return o.Key
}

// isRelationField reports whether a field object is a relation field, and
// the type its values point at.
func isRelationField(o *Obj) (bool, string) {
	m := o.Fields()
	if text(m["type"]) != "relation" {
		return false, ""
	}
	target, _ := getPath(m, "options.type")
	return true, text(target)
}

// relationFields returns, for each type slug, its relation fields' slugs
// and target types, from the fields of set.
func relationFields(set *Set) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, f := range set.Of("fields") {
		if ok, target := isRelationField(f); ok {
			if out[f.Parent] == nil {
				out[f.Parent] = map[string]string{}
			}
			out[f.Parent][text(f.Fields()["slug"])] = target
		}
	}
	return out
}

// idRefs returns the references of k that name their target by id, with
// the item relation reference left out (items are handled in two passes).
func idRefs(k *api.Kind) []api.Ref {
	var out []api.Ref
	for _, r := range k.Refs {
		if r.By == api.ByID && !(k.Name == "items" && r.Kind == "items") {
			out = append(out, r)
		}
	}
	return out
}

// changedFields lists the top-level fields (and data fields of items) in
// which two views differ: values compare as jsonv.Equal (numbers by value,
// members in any order), and a field absent on one side is the same as
// null.
func changedFields(a, b map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range []map[string]any{a, b} {
		for key := range m {
			if seen[key] {
				continue
			}
			seen[key] = true
			if jsonv.Equal(a[key], b[key]) {
				continue
			}
			am, aok := a[key].(map[string]any)
			bm, bok := b[key].(map[string]any)
			if aok && bok && (key == "data" || key == "assignees") {
				for _, sub := range changedFields(am, bm) {
					out = append(out, key+"."+sub)
				}
				continue
			}
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}
