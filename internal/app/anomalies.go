package app

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/diff"
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
		if c.Kind == "types" && c.Op == diff.Removed {
			out = append(out, Anomaly{What: fmt.Sprintf("type %s disappeared (with its fields and items)", c.Key), Selector: "type:" + c.Key})
		}
	}
	comparable := func(kind string) bool {
		k, err := api.KindByName(kind)
		_, walked := cur.Counts[kind]
		return err == nil && walked && !k.Volatile && prev.Errors[kind] == "" && cur.Errors[kind] == ""
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
		if c.Kind == "types" && c.Op == diff.Removed {
			typesGone++
		}
	}
	for _, c := range res.Changes {
		if k, err := api.KindByName(c.Kind); err == nil && c.Op == diff.Removed && k.Parent == "types" && typeRemoved(res, c.Parent) {
			withType[c.Kind]++
		}
	}
	withType["types"] = typesGone // each has its own anomaly
	for _, kind := range sortedKeys(prev.Counts) {
		before, after := prev.Counts[kind]-withType[kind], cur.Counts[kind]
		if typesGone > 0 && underTypes(kind) {
			continue
		}
		if comparable(kind) && shrank(before, after) {
			out = append(out, Anomaly{What: fmt.Sprintf("%s shrank from %d to %d (%s)", kind, before, after, percent(before, after)), Selector: kind})
		}
	}
	var colls []string
	for coll := range prev.Collections {
		if strings.HasPrefix(coll, "items/") {
			colls = append(colls, coll)
		}
	}
	sort.Strings(colls)
	for _, coll := range colls {
		slug := strings.TrimPrefix(coll, "items/")
		before, after := prev.Collections[coll].Count, cur.Collections[coll].Count
		if !comparable("items") || typeRemoved(res, slug) {
			continue // a removed type is reported above
		}
		if shrank(before, after) {
			out = append(out, Anomaly{What: fmt.Sprintf("items of type %s shrank from %d to %d (%s)", slug, before, after, percent(before, after)), Selector: "type:" + slug})
		}
	}
	return out
}

// underTypes reports whether kind lives below a type further down than
// its direct children, or is tied to a type (schedule tasks).
func underTypes(kind string) bool {
	k, err := api.KindByName(kind)
	if err != nil || k.Name == "schedule-tasks" {
		return err == nil
	}
	return k.Parent != "" && k.Parent != "types"
}

func typeRemoved(res *diff.Result, slug string) bool {
	for _, c := range res.Changes {
		if c.Kind == "types" && c.Key == slug && c.Op == diff.Removed {
			return true
		}
	}
	return false
}

func percent(before, after int) string {
	return fmt.Sprintf("%+.0f%%", math.Round(100*float64(after-before)/float64(before)))
}
