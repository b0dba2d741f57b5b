package restore

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// levels numbers the nodes of kind.ApplyOrder: the order in which steps
// are applied. Steps of one level do not depend on each other. The nodes
// of ApplyLast kinds share one level (last), and deletes come after it.
type levels struct {
	of            map[string]int // kind.Apply.String() -> level
	last, deletes int
}

func newLevels() (levels, error) {
	order, err := kind.ApplyOrder()
	if err != nil {
		return levels{}, err
	}
	l := levels{of: map[string]int{}}
	for _, a := range order {
		if !a.Last {
			l.of[a.String()] = len(l.of)
		}
	}
	l.last = len(l.of)
	l.deletes = l.last + 1
	return l, nil
}

// kind returns the level of the objects of kind name.
func (l levels) kind(name kind.Name) int { return l.node(kind.Apply{Kind: name}) }

// node returns the level of one node of the apply order.
func (l levels) node(a kind.Apply) int {
	if n, ok := l.of[a.String()]; ok {
		return n
	}
	return l.last
}

// pseudoKinds are the step kinds of embedded collections, by their kind
// and Sub field; their steps sort after the kind they belong to.
var pseudoKinds = map[string]kind.Apply{
	KindPermissions: {Kind: kind.Roles, Pass: kind.PassSub, Sub: "permissions"},
	KindGroupUsers:  {Kind: kind.Groups, Pass: kind.PassSub, Sub: "users"},
}

// kindOrder is a kind's position in the kind table; pseudo kinds follow
// the kind they belong to.
func kindOrder(name string) int {
	if a, ok := pseudoKinds[name]; ok {
		return 2*kind.Position(a.Kind) + 1
	}
	if i := kind.Position(name); i >= 0 {
		return 2 * i
	}
	return 1 << 20
}

// planned reports whether objects of k take part in plans at all.
func planned(k *kind.Kind) bool { return k.Planned() }

// view returns what of an object is written: the object without
// server-assigned fields, secrets and embedded collections, and for some
// kinds a shape of its own. References are still source ids.
//
// Fields a server adds beyond the contract are kept: they may be writable
// (a create must bring back everything the snapshot held), and one the
// server does not take is left out when it refuses it (see sendWrite).
// What is compared is compareView.
func view(k *kind.Kind, o *Obj) map[string]any {
	m := copyFields(o)
	if k.View != nil {
		return k.View(k, m)
	}
	for _, f := range k.Drop {
		delete(m, f)
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

// compareView returns what of an object is compared: its view with only
// the top-level fields the contract names for the kind (k.Known). A field
// a server adds beyond the contract may be read-only (a revision, a count
// of items) and differ between an object and its copy, so comparing it
// would make every plan an update; an object that differs only there is
// left alone, and a write's answer is not judged on it.
func compareView(k *kind.Kind, o *Obj) map[string]any {
	m := view(k, o)
	if k.View == nil {
		keepKnown(k, m)
	}
	return m
}

// knownOnly returns a shallow copy of m, a view of an object of k, with
// only the top-level fields the contract names (see compareView).
func knownOnly(k *kind.Kind, m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for f, v := range m {
		out[f] = v
	}
	if k.View == nil {
		keepKnown(k, out)
	}
	return out
}

// keepKnown removes from m, an object's fields, the top-level ones the
// contract does not name for k; nothing when it names none.
func keepKnown(k *kind.Kind, m map[string]any) {
	if len(k.Known) == 0 {
		return
	}
	for f := range m {
		if !slices.Contains(k.Known, f) {
			delete(m, f)
		}
	}
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
func naturalKey(k *kind.Kind, o *Obj) string {
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
		if k.FoldKey {
			s = strings.ToLower(s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\x00")
}

// describeKey says which natural key matched, for the plan: "slug contracts".
func describeKey(k *kind.Kind, o *Obj) string {
	var parts []string
	for _, p := range k.NaturalKey {
		v, _ := getPath(o.Fields(), p)
		parts = append(parts, p+" "+text(v))
	}
	return strings.Join(parts, ", ")
}

// label returns a readable name for an object. Every step has one: the
// object is decoded for it without being kept decoded (most objects of a
// restored type are skipped as equal, and never decoded otherwise).
func label(k *kind.Kind, o *Obj) string {
	for _, p := range k.LabelFields {
		if strings.ContainsAny(p, "[]*\\") {
			return labelDecoded(k, o) // a pattern: read the whole object
		}
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(o.Raw, &top) != nil {
		return o.Key
	}
	for _, p := range k.LabelFields {
		if v, ok := rawPath(top, p); ok && text(v) != "" {
			return text(v)
		}
	}
	return o.Key
}

// labelDecoded is label by decoding the whole object.
func labelDecoded(k *kind.Kind, o *Obj) string {
	m := decodeFields(o.Raw)
	for _, p := range k.LabelFields {
		if v, ok := getPath(m, p); ok && text(v) != "" {
			return text(v)
		}
	}
	return o.Key
}

// rawPath decodes the value at a dotted path of plain member names
// ("data.title") of an object whose top-level members are top, and only
// that value, as getPath reads it from the decoded object.
func rawPath(top map[string]json.RawMessage, path string) (any, bool) {
	names := strings.Split(path, ".")
	m := top
	for i, name := range names {
		raw, ok := m[name]
		if !ok {
			return nil, false
		}
		if i == len(names)-1 {
			v, err := jsonv.Decode(raw)
			return v, err == nil
		}
		m = nil
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return nil, false
		}
	}
	return nil, false
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
	for _, f := range set.Of(kind.Fields) {
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
// the references to its own kind left out (they are set in a links pass).
func idRefs(k *kind.Kind) []kind.Ref {
	var out []kind.Ref
	for _, r := range k.Refs {
		if r.By == kind.ByID && r.Kind != k.Name {
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

// conditionalApplies reports whether o is an object whose conditional
// references apply (a relation field): it is written in its kind's
// conditional pass, after the kinds those references point at.
func conditionalApplies(k *kind.Kind, o *Obj) bool {
	for _, r := range k.Refs {
		if r.When == "relation field" && r.Kind != k.Name {
			if rel, _ := isRelationField(o); rel {
				return true
			}
		}
	}
	return false
}
