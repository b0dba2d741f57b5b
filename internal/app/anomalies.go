package app

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Anomaly is a drop worth an alarm, with what would bring it back.
type Anomaly struct {
	What     string // "type contracts disappeared"
	Selector string // what to restore: "type:contracts", or a kind name
}

// findAnomalies compares a snapshot with the previous complete one: every
// type that disappeared, and every kind or type's items that shrank by more
// than threshold (a share, 0..1; 0 turns the check off). Kinds that either
// snapshot could not read, and volatile kinds, are left out: a failed
// listing is not a drop.
func findAnomalies(prev, cur *snapshot.Snapshot, res *diff.Result, threshold float64) []Anomaly {
	if threshold <= 0 {
		return nil
	}
	var out []Anomaly
	for _, c := range res.Changes {
		if c.Kind == kind.Types && c.Op == diff.Removed {
			out = append(out, Anomaly{What: fmt.Sprintf("type %s disappeared (with its fields and items)", c.Key), Selector: typeSelector(c.Key)})
		}
	}
	comparable := func(name kind.Name) bool {
		k := kind.Of(name)
		_, walked := cur.Counts[name]
		return k != nil && walked && !k.Volatile && prev.Errors[name] == "" && cur.Errors[name] == ""
	}
	shrank := func(before, after int) bool {
		return before > 0 && float64(before-after) > threshold*float64(before)
	}
	// Objects that went with a type that disappeared are reported with it:
	// a kind's shrink counts the others only, and the kinds further below
	// types (stages, tasks) or tied to one (schedule tasks) are left to the
	// type's own anomaly.
	typesGone, withType := 0, map[string]int{}
	for _, c := range res.Changes {
		if c.Kind == kind.Types && c.Op == diff.Removed {
			typesGone++
		}
	}
	for _, c := range res.Changes {
		if k := kind.Of(c.Kind); k != nil && c.Op == diff.Removed && k.Parent == kind.Types && typeRemoved(res, c.Parent) {
			withType[c.Kind]++
		}
	}
	withType[kind.Types] = typesGone // each has its own anomaly
	for _, name := range slices.Sorted(maps.Keys(prev.Counts)) {
		before, after := prev.Counts[name]-withType[name], cur.Counts[name]
		if typesGone > 0 && underTypes(name) {
			continue
		}
		if comparable(name) && shrank(before, after) {
			out = append(out, Anomaly{What: fmt.Sprintf("%s shrank from %d to %d (%s)", name, before, after, percent(before, after)), Selector: name})
		}
	}
	// Items, type by type: the collections of items are named by their type.
	var slugs []string
	for coll := range prev.Collections {
		if name, parent := splitCollection(coll); name == kind.Items {
			slugs = append(slugs, parent)
		}
	}
	sort.Strings(slugs)
	for _, slug := range slugs {
		coll := snapshot.CollectionName(kind.Items, slug)
		before, after := prev.Collections[coll].Count, cur.Collections[coll].Count
		if !comparable(kind.Items) || typeRemoved(res, slug) {
			continue // a removed type is reported above
		}
		if shrank(before, after) {
			out = append(out, Anomaly{What: fmt.Sprintf("items of type %s shrank from %d to %d (%s)", slug, before, after, percent(before, after)), Selector: typeSelector(slug)})
		}
	}
	return out
}

// underTypes reports whether a kind lives below a type further down than
// its direct children, or is tied to a type (schedule tasks).
func underTypes(name kind.Name) bool {
	k := kind.Of(name)
	if k == nil {
		return false
	}
	return k.TiedTo == kind.Types || (kind.Under(name, kind.Types) && k.Parent != kind.Types)
}

// typeSelector is the selector of a type and everything of it: type:SLUG.
func typeSelector(slug string) string {
	return kind.Of(kind.Types).Selector + ":" + slug
}

func typeRemoved(res *diff.Result, slug string) bool {
	for _, c := range res.Changes {
		if c.Kind == kind.Types && c.Key == slug && c.Op == diff.Removed {
			return true
		}
	}
	return false
}

func percent(before, after int) string {
	return fmt.Sprintf("%+.0f%%", math.Round(100*float64(after-before)/float64(before)))
}
