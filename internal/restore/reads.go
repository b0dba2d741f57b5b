package restore

import (
	"context"
	"net/http"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// targetItemIDs returns, for each type of types whose items are not listed
// (not in whole), the ids of the target items a plan can use: the items
// the selected source items (and quick tasks) match through the id map or,
// in the same workspace, the same id, and the items their relation values
// resolve to the same ways. Build matches items by nothing else (items have
// no natural key), so the target items outside this list cannot change the
// plan. A type with no such item gets an empty list: none is read.
func targetItemIDs(source *Set, sel Selection, types, whole map[string]bool, ids IDs, same bool) map[string][]string {
	want := map[string]map[string]bool{}
	for t := range types {
		if !whole[t] {
			want[t] = map[string]bool{}
		}
	}
	add := func(typeSlug, id string) {
		if want[typeSlug] == nil || id == "" {
			return
		}
		if ids != nil {
			if t, ok := ids.Target(kind.Items, id); ok {
				want[typeSlug][t] = true
			}
		}
		if same {
			want[typeSlug][id] = true
		}
	}
	rels := relationFields(source)
	for _, o := range source.Of(kind.Items) {
		if !sel.Objects(o) {
			continue
		}
		add(o.Parent, o.ID)
		if len(rels[o.Parent]) == 0 {
			continue
		}
		data, _ := decodeFields(o.Raw)["data"].(map[string]any) // not o.Fields(): kept, it would hold every item decoded
		for slug, target := range rels[o.Parent] {
			for _, id := range relationIDs(data, slug) {
				add(target, id)
			}
		}
	}
	if len(want) > 0 {
		for _, o := range source.Of(kind.QuickTasks) {
			if !sel.Objects(o) {
				continue
			}
			if ref, ok := o.Fields()["item"].(map[string]any); ok {
				add(text(ref["type"]), text(ref["id"]))
			}
		}
	}
	out := make(map[string][]string, len(want))
	for t, set := range want {
		list := make([]string, 0, len(set))
		for id := range set {
			list = append(list, id)
		}
		sort.Slice(list, func(i, j int) bool { return lessKey(list[i], list[j]) })
		out[t] = list
	}
	return out
}

// relationIDs returns the item ids of the relation value data[slug]: one
// id or a list of them.
func relationIDs(data map[string]any, slug string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		if l, ok := v.([]any); ok {
			for _, e := range l {
				walk(e)
			}
			return
		}
		if id := text(v); id != "" {
			out = append(out, id)
		}
	}
	walk(data[slug])
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SourceReads says which data a restore plan reads from its source beyond
// the configuration (every collection but items and quick tasks, which is
// small and which references resolve through): the items of a type whole,
// the items a field selector matches, items by key, and quick tasks.
type SourceReads struct {
	Whole      map[string]bool     // type slugs whose items are all read
	Match      map[string]bool     // type slugs whose items are read when a selector matches them
	Keys       map[string][]string // type slug -> item keys read one by one
	QuickTasks bool                // quick tasks are read (all of them: they are few)
}

// SourceReadsFor returns what a restore of sels reads from a source whose
// configuration (types and fields) is config. A type restored whole reads
// its items, and the items of types whose relation fields point at it (the
// links pass re-links them); an item selector reads that item or, with a
// field, the items it matches. Nothing else of the source's items can
// change the plan: an item outside the selection is matched through the id
// map or the same id, which needs only its id.
func SourceReadsFor(config *Set, sels []selector.Selector) SourceReads {
	r := SourceReads{Whole: map[string]bool{}, Match: map[string]bool{}, Keys: map[string][]string{}}
	wholeTypes := map[string]bool{} // restored whole: others' items are re-linked to them
	for _, s := range sels {
		switch {
		case s.Kind == kind.Types && s.All:
			for _, t := range config.Of(kind.Types) {
				wholeTypes[t.Key] = true
			}
		case s.Kind == kind.Types:
			wholeTypes[s.Value] = true
		case s.Kind == kind.Items && s.All:
			for _, t := range config.Of(kind.Types) {
				r.Whole[t.Key] = true
			}
		case s.Kind == kind.Items && s.Field == "":
			r.Keys[s.Parent] = append(r.Keys[s.Parent], s.Value)
		case s.Kind == kind.Items:
			r.Match[s.Parent] = true
		case s.Kind == kind.QuickTasks:
			r.QuickTasks = true
		}
	}
	for t := range wholeTypes {
		r.Whole[t], r.QuickTasks = true, true
	}
	for from, fields := range relationFields(config) {
		for _, target := range fields {
			if wholeTypes[target] {
				r.Whole[from] = true
			}
		}
	}
	return r
}

// GetItem reads one item of a workspace through the kind's get route;
// found is false when the server answers 404 (the item, or its type, is
// not there).
func GetItem(ctx context.Context, c *api.Client, workspace, typeSlug, id string) (o api.Object, found bool, err error) {
	ik := kind.Of(kind.Items)
	o, err = c.Get(ctx, ik, workspace, map[string]string{ik.ParentParam: typeSlug, "id": id})
	if isStatus(err, http.StatusNotFound) {
		return api.Object{}, false, nil
	}
	return o, err == nil, err
}
