package dashboard

import (
	"bufio"
	"html"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// The list of changes is written by hand rather than by a template: a
// snapshot page may hold tens of thousands of changes, and executing a
// template per row and per field cost 190 ms of a 10,000-change page,
// writing them here 25 ms. The markup is the one the templates would write
// (every text escaped with html.EscapeString, every link segment with
// url.PathEscape).

// listMarker is where a page's template leaves room for its change list
// (an element: html/template drops comments):
// render writes the list there, straight to the response, rather than
// through the template and the page's buffer (5 MB for 10,000 changes,
// copied three times over).
const listMarker = `<ins data-change-list></ins>`

// changeList writes the groups of changes of a page.
func (h *handler) changeList(w io.Writer, groups []changeGroup, workspace string) error {
	b := bufio.NewWriterSize(w, 64<<10)
	esc := func(s string) { _, _ = b.WriteString(html.EscapeString(s)) }
	for _, g := range groups {
		b.WriteString(`<section class="group" data-kind="`)
		esc(g.Kind)
		b.WriteString(`" aria-labelledby="kind-`)
		esc(g.Kind)
		b.WriteString(`"><h3 id="kind-`)
		esc(g.Kind)
		b.WriteString(`">`)
		esc(g.Kind)
		b.WriteString(" (" + strconv.Itoa(len(g.Changes)) + ")</h3>\n<ul class=\"changes\">\n")
		for _, c := range g.Changes {
			op := string(c.Op)
			b.WriteString(`<li class="change" data-op="`)
			esc(op)
			b.WriteString(`" data-ref="`)
			esc(c.Ref)
			b.WriteString(`"><strong class="op-`)
			esc(op)
			b.WriteString(`">`)
			esc(op)
			b.WriteString(`</strong> `)
			if c.Selector != "" {
				b.WriteString(`<a href="`)
				esc(h.objectLink(c.Selector, workspace))
				b.WriteString(`"><code>`)
				esc(c.Ref)
				b.WriteString(`</code></a>`)
			} else {
				b.WriteString(`<code>`)
				esc(c.Ref)
				b.WriteString(`</code>`)
			}
			if c.Label != "" {
				b.WriteString(" ")
				esc(c.Label)
			}
			if len(c.Fields) > 0 {
				b.WriteString("\n<table class=\"fields\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Old</th><th scope=\"col\">New</th></tr></thead><tbody>\n")
				for _, f := range c.Fields {
					b.WriteString(`<tr class="field"><td><code>`)
					esc(f.Path)
					b.WriteString(`</code></td><td>`)
					writeValue(b, f.Old)
					b.WriteString(`</td><td>`)
					writeValue(b, f.New)
					b.WriteString("</td></tr>\n")
				}
				b.WriteString(`</tbody></table>`)
			}
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul></section>\n")
	}
	return b.Flush()
}

// writeValue writes a value as the "value" template does.
func writeValue(b *bufio.Writer, v value) {
	switch {
	case v.Full != "":
		b.WriteString(`<details><summary><code>`)
		b.WriteString(html.EscapeString(v.Short))
		b.WriteString(`</code></summary><pre>`)
		b.WriteString(html.EscapeString(v.Full))
		b.WriteString(`</pre></details>`)
	case v.Absent:
		b.WriteString(`<span class="muted">(none)</span>`)
	default:
		b.WriteString(`<code>`)
		b.WriteString(html.EscapeString(v.Short))
		b.WriteString(`</code>`)
	}
}

// objectLink is the page of an object's history in a workspace; the
// selector keeps its slash (item:TYPE/ID) in the path.
func (h *handler) objectLink(sel, workspace string) string {
	parts := strings.Split(sel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return h.opts.Base + "/objects/" + strings.Join(parts, "/") + "?workspace=" + url.QueryEscape(workspace)
}
