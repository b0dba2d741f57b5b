package restore

import (
	"encoding/json"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Change is one object that differs between two states of a workspace:
// Old is nil when it was added, New when it was removed.
type Change struct {
	Kind, Parent, Key string
	Old, New          []byte
}

// Rekey finds, among the objects that changes show removed and added, the
// ones that are one object re-created under a new id (by a restore, or by
// a person who deleted and re-made a field with the same slug), and turns
// each such pair into one change from the old object to the new one. Then
// the id is only a server-assigned difference. Pairs are found through
// ids (old id → new id, from the id map of restores into the workspace)
// and then by natural key under the same parent. References in the old
// objects to re-created objects are translated to the new ids where that
// makes them equal to the new value, so that a relation that points at
// the re-created object is not reported as changed.
func Rekey(changes []Change, ids func(kind, oldID string) (string, bool)) []Change {
	type slot struct{ kind, parent string }
	removed := map[slot][]int{}
	added := map[slot]map[string]int{} // by id
	for i, c := range changes {
		s := slot{c.Kind, c.Parent}
		switch {
		case c.New == nil && c.Old != nil:
			removed[s] = append(removed[s], i)
		case c.Old == nil && c.New != nil:
			if added[s] == nil {
				added[s] = map[string]int{}
			}
			added[s][objID(c.Kind, c.New)] = i
		}
	}
	equiv := map[string]string{} // kind \x00 old id -> new id
	merged := map[int]bool{}
	var out []Change
	for s, rs := range removed {
		k, err := kind.ByName(s.kind)
		if err != nil || len(added[s]) == 0 {
			continue
		}
		byKey := map[string]int{}
		for _, j := range added[s] {
			if nk := naturalKey(k, &Obj{Raw: changes[j].New}); nk != "" {
				byKey[nk] = j
			}
		}
		for _, i := range rs {
			old := changes[i]
			oldID := objID(s.kind, old.Old)
			j, ok := -1, false
			if ids != nil && oldID != "" {
				if newID, found := ids(s.kind, oldID); found {
					j, ok = added[s][newID]
				}
			}
			if !ok {
				if nk := naturalKey(k, &Obj{Raw: old.Old}); nk != "" {
					j, ok = byKey[nk]
				}
			}
			if !ok || merged[j] {
				continue
			}
			merged[i], merged[j] = true, true
			newID := objID(s.kind, changes[j].New)
			equiv[s.kind+"\x00"+oldID] = newID
			out = append(out, Change{Kind: s.kind, Parent: s.parent, Key: changes[j].Key, Old: old.Old, New: changes[j].New})
		}
	}
	lookup := func(kind, id string) (string, bool) {
		if n, ok := equiv[kind+"\x00"+id]; ok {
			return n, true
		}
		if ids != nil {
			return ids(kind, id)
		}
		return "", false
	}
	for i, c := range changes {
		if !merged[i] {
			out = append(out, c)
		}
	}
	for i := range out {
		if out[i].Old != nil && out[i].New != nil {
			out[i].Old = translateOld(out[i].Kind, out[i].Old, out[i].New, lookup)
		}
	}
	return out
}

// objID returns the id of an object of kind in raw, "" when unreadable.
func objID(name string, raw []byte) string {
	k, err := kind.ByName(name)
	if err != nil || k.IDField == "" {
		return ""
	}
	o, err := api.NewObject(k, "", raw)
	if err != nil {
		return ""
	}
	return o.ID
}

// translateOld replaces, in old, each top-level field (each data field of
// an item) whose references translate to exactly the new value.
func translateOld(name string, old, new []byte, lookup func(name, id string) (string, bool)) []byte {
	k, err := kind.ByName(name)
	if err != nil {
		return old
	}
	o, n := &Obj{Raw: old}, &Obj{Raw: new}
	om, nm := copyFields(o), n.Fields()
	changed := false
	try := func(container, target map[string]any, key, refKind, rest string) {
		cand := map[string]any{key: deepCopy(container[key])}
		path := key
		if rest != "" {
			path += "." + rest
		}
		visitPath(cand, path, func(_ string, v any) (any, bool) {
			return translateID(refKind, v, lookup), true
		})
		if !jsonv.Equal(cand[key], container[key]) && sameUnordered(cand[key], target[key]) {
			container[key] = cand[key]
			changed = true
		}
	}
	for _, r := range k.Refs {
		if r.By != kind.ByID {
			continue
		}
		if r.Path == "data.*" {
			od, _ := om["data"].(map[string]any)
			nd, _ := nm["data"].(map[string]any)
			for key := range od {
				if nd != nil {
					try(od, nd, key, r.Kind, "")
				}
			}
			continue
		}
		top, rest, _ := strings.Cut(r.Path, ".")
		if strings.HasSuffix(top, "[]") && rest != "" {
			continue // a field of each element: none is an id reference in the name table
		}
		try(om, nm, strings.TrimSuffix(top, "[]"), r.Kind, rest)
	}
	if !changed {
		return old
	}
	b, err := json.Marshal(om)
	if err != nil {
		return old
	}
	return b
}

// translateID maps one id value, or each of a list of ids.
func translateID(kind string, v any, lookup func(kind, id string) (string, bool)) any {
	if l, ok := v.([]any); ok {
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = translateID(kind, x, lookup)
		}
		return out
	}
	id := text(v)
	if id == "" {
		return v
	}
	if n, ok := lookup(kind, id); ok {
		return idValue(n, "", v)
	}
	return v
}

// sameUnordered compares two JSON values, lists as multisets (the order of
// a group's users or a task's assignees carries no meaning).
func sameUnordered(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		count := map[string]int{}
		for _, e := range x {
			count[jsonv.Key(e)]++
		}
		for _, e := range y {
			count[jsonv.Key(e)]--
		}
		for _, n := range count {
			if n != 0 {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameUnordered(v, w) {
				return false
			}
		}
		return true
	}
	return jsonv.Equal(a, b)
}
