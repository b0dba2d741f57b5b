package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// foldAt is the length past which a value is folded into <details>.
const foldAt = 80

// changesView is a snapshot's page (Single) or a comparison of two.
type changesView struct {
	*app.ChangesView
	Single bool
	Counts []kindCount
	Groups []changeGroup
	// Unknown lists the kinds either side could not read.
	Unknown []kindNote
}

type kindCount struct {
	Kind     string
	Before   int
	After    int
	Added    int
	Removed  int
	Changed  int
	HasDelta bool
}

type kindNote struct{ Kind, Why string }

// changeGroup is the changes of one kind.
type changeGroup struct {
	Kind    string
	Changes []changeRow
}

type changeRow struct {
	Op       diff.Op
	Ref      string // PARENT/KEY or KEY
	Label    string
	Selector string // the object's selector; "" when its kind has none by key
	Fields   []fieldRow
}

type fieldRow struct {
	Path     string
	Op       diff.Op
	Old, New value
}

// value is a field's value as shown: Short fits on a line; Full is set,
// pretty-printed, when Short had to be cut.
type value struct {
	Absent bool
	Short  string
	Full   string
}

func changesPage(v *app.ChangesView, single bool) changesView {
	p := changesView{ChangesView: v, Single: single}
	kinds := map[string]bool{}
	for k := range v.To.Counts {
		kinds[k] = true
	}
	if v.From != nil {
		for k := range v.From.Counts {
			kinds[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		c := kindCount{Kind: k, After: v.To.Counts[k]}
		if v.From != nil {
			c.Before = v.From.Counts[k]
		}
		if v.Result != nil {
			n := v.Result.Summary[k]
			c.Added, c.Removed, c.Changed = n.Added, n.Removed, n.Changed
			c.HasDelta = n.Added+n.Removed+n.Changed > 0
		}
		p.Counts = append(p.Counts, c)
	}
	if v.Result == nil {
		return p
	}
	for _, k := range slices.Sorted(maps.Keys(v.Result.Unknown)) {
		p.Unknown = append(p.Unknown, kindNote{k, v.Result.Unknown[k]})
	}
	for _, ch := range v.Result.Changes {
		if len(p.Groups) == 0 || p.Groups[len(p.Groups)-1].Kind != ch.Kind {
			p.Groups = append(p.Groups, changeGroup{Kind: ch.Kind})
		}
		g := &p.Groups[len(p.Groups)-1]
		row := changeRow{Op: ch.Op, Ref: ch.Key, Selector: objectSelector(ch)}
		if ch.Parent != "" {
			row.Ref = ch.Parent + "/" + ch.Key
		}
		if ch.Label != ch.Key {
			row.Label = ch.Label
		}
		for _, f := range ch.Fields {
			row.Fields = append(row.Fields, fieldRow{Path: f.Path, Op: f.Op,
				Old: showValue(f.Old, f.Op == diff.Added), New: showValue(f.New, f.Op == diff.Removed)})
		}
		g.Changes = append(g.Changes, row)
	}
	return p
}

// objectSelector is the selector of a changed object, for its history
// link: kinds whose selector names the key (type:SLUG, item:TYPE/ID).
func objectSelector(ch diff.Change) string {
	k := kind.Of(ch.Kind)
	if k == nil || k.Selector == "" || k.SelectorField != "" {
		return ""
	}
	if k.SelectorTyped {
		if ch.Parent == "" {
			return ""
		}
		return k.Selector + ":" + ch.Parent + "/" + ch.Key
	}
	return k.Selector + ":" + ch.Key
}

// showValue writes a decoded JSON value on one line, cut past foldAt with
// the whole value kept, indented, for a <details>.
func showValue(v any, absent bool) value {
	if absent {
		return value{Absent: true, Short: "(none)"}
	}
	b, err := marshal(v, "")
	if err != nil {
		return value{Short: fmt.Sprint(v)}
	}
	s := string(b)
	if len([]rune(s)) <= foldAt {
		return value{Short: s}
	}
	full, err := marshal(v, "  ")
	if err != nil {
		full = b
	}
	return value{Short: string([]rune(s)[:foldAt-1]) + "…", Full: string(full)}
}

func marshal(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// anomalous says whether a snapshot recorded a drop.
func anomalous(s *snapshot.Snapshot) bool { return len(s.Anomalies) > 0 }

// changeTotals sums a snapshot's recorded changes.
func changeTotals(s *snapshot.Snapshot) (added, removed, changed int, ok bool) {
	if s.Changes == nil {
		return 0, 0, 0, false
	}
	for _, n := range s.Changes.Summary {
		added, removed, changed = added+n.Added, removed+n.Removed, changed+n.Changed
	}
	return added, removed, changed, true
}
