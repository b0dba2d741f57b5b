package dashboard

import (
	"fmt"
	"html/template"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// funcs are the templates' helpers.
func (h *handler) funcs() template.FuncMap {
	return template.FuncMap{
		// link joins Base and path segments, each escaped: link "workspaces"
		// .Name gives /BASE/workspaces/acme.
		"link": func(segments ...string) string {
			var b strings.Builder
			b.WriteString(h.opts.Base)
			for _, s := range segments {
				b.WriteString("/" + url.PathEscape(s))
			}
			if len(segments) == 0 {
				b.WriteString("/")
			}
			return b.String()
		},
		"objectLink": h.objectLink,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.In(h.src.Location()).Format("2006-01-02 15:04:05")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"took": func(from, to time.Time) string {
			return to.Sub(from).Round(time.Millisecond).String()
		},
		"bytes":     app.HumanBytes,
		"short":     shortID,
		"svg":       func(c chart) template.HTML { return c.render() },
		"anomalous": anomalous,
		"totals": func(s *snapshot.Snapshot) string {
			a, r, c, ok := changeTotals(s)
			if !ok {
				return "-"
			}
			return fmt.Sprintf("+%d -%d ~%d", a, r, c)
		},
		"ratio":  func(f float64) string { return fmt.Sprintf("%.1f×", f) },
		"sorted": sortedKeys,
		"val":    showValue,
	}
}

func sortedKeys(m map[string]string) []kindNote {
	out := make([]kindNote, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, kindNote{k, m[k]})
	}
	return out
}
