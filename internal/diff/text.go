package diff

import (
	"fmt"
	"io"
	"strings"
)

// TextOptions tune WriteText. The zero value shows everything with values
// cut at 60 characters and 20 field changes per object.
type TextOptions struct {
	// Stat writes the summary lines only.
	Stat bool
	// MaxValue is the longest value shown, in characters; 0 means 60.
	MaxValue int
	// MaxFields is how many field changes are shown per object; 0 means
	// 20, a negative number means all.
	MaxFields int
}

// WriteText writes r for people: one summary line per kind ("items: 1
// added, 3 changed"), unknown kinds with the reason, one line counting the
// noise, then unless opts.Stat the details: one line per object ("+"
// added, "-" removed, "~" changed) with its kind, parent/key and label,
// and its field changes ("data.city: "São Paulo" -> "Campinas"") inline
// when there is one, indented below when there are more. Changes of a kind
// with a parent are grouped under the parent ("type contracts:"). Objects
// of unknown kinds are only counted.
func WriteText(w io.Writer, r *Result, opts TextOptions) error {
	if opts.MaxValue <= 0 {
		opts.MaxValue = defaultMaxValue
	}
	if opts.MaxFields == 0 {
		opts.MaxFields = 20
	}
	t := &textWriter{w: w, r: r, opts: opts}
	t.summary()
	if !opts.Stat {
		t.details()
	}
	return t.err
}

// textWriter writes lines and keeps the first write error.
type textWriter struct {
	w    io.Writer
	r    *Result
	opts TextOptions
	err  error
}

func (t *textWriter) line(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format+"\n", args...)
}

func (t *textWriter) summary() {
	r := t.r
	if r.Empty() {
		t.line("no changes")
	}
	var noise []string
	for _, kind := range r.kindNames() {
		c, reason := r.Summary[kind], r.Unknown[kind]
		var parts []string
		for _, n := range []struct {
			count int
			op    Op
		}{{c.Added, Added}, {c.Removed, Removed}, {c.Changed, Changed}, {c.Unknown, Unknown}} {
			if n.count > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n.count, n.op))
			}
		}
		if _, ok := r.Unknown[kind]; ok {
			if c.Unknown == 0 {
				parts = append(parts, "unknown")
			}
			parts[len(parts)-1] += " (" + reason + ")"
		}
		if len(parts) > 0 {
			t.line("%s: %s", kind, strings.Join(parts, ", "))
		}
		if s := noiseText(r.Noise[kind]); s != "" {
			noise = append(noise, kind+" "+s)
		}
	}
	if len(noise) > 0 {
		t.line("noise, not listed: %s", strings.Join(noise, "; "))
	}
}

// noiseText describes one kind's noise: "3 server-only, 1 equivalent".
func noiseText(n Noise) string {
	var parts []string
	for _, c := range []struct {
		count int
		what  string
	}{{n.ServerOnly, "server-only"}, {n.Equivalent, "equivalent"}, {n.Volatile, "volatile"}} {
		if c.count > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.count, c.what))
		}
	}
	return strings.Join(parts, ", ")
}

func (t *textWriter) details() {
	kind, parent := "", ""
	first := true
	for _, ch := range t.r.Changes {
		if ch.Op == Unknown {
			continue
		}
		if first {
			t.line("")
			first = false
		}
		if ch.Kind != kind {
			kind, parent = ch.Kind, ""
			t.line("%s:", kind)
			if ch.Parent != "" {
				t.line("  %s:", t.parentName(ch))
			}
		} else if ch.Parent != parent {
			t.line("  %s:", t.parentName(ch))
		}
		parent = ch.Parent
		indent := "  "
		if ch.Parent != "" {
			indent = "    "
		}
		t.object(indent, ch)
	}
}

// parentName names a change's parent: "type contracts", "flow 4".
func (t *textWriter) parentName(ch Change) string {
	pk := t.r.Kinds[ch.Kind].Parent
	if pk == "" {
		return ch.Parent
	}
	label := t.r.Kinds[pk].Label
	if label == "" {
		label = pk
	}
	return label + " " + ch.Parent
}

var opSigns = map[Op]string{Added: "+", Removed: "-", Changed: "~"}

// object writes one change: its line, and its field changes.
func (t *textWriter) object(indent string, ch Change) {
	label := t.r.Kinds[ch.Kind].Label
	if label == "" {
		label = ch.Kind
	}
	ref := ch.Key
	if ch.Parent != "" {
		ref = ch.Parent + "/" + ch.Key
	}
	head := fmt.Sprintf("%s%s %s %s", indent, opSigns[ch.Op], label, ref)
	if ch.Label != "" && ch.Label != ch.Key {
		head += " " + quoteShort(ch.Label, t.opts.MaxValue)
	}
	if len(ch.Fields) == 1 {
		t.line("%s: %s", head, t.field(ch.Fields[0]))
		return
	}
	t.line("%s", head)
	shown := ch.Fields
	if t.opts.MaxFields > 0 && len(shown) > t.opts.MaxFields {
		shown = shown[:t.opts.MaxFields]
	}
	for _, f := range shown {
		t.line("%s    %s", indent, t.field(f))
	}
	if more := len(ch.Fields) - len(shown); more > 0 {
		t.line("%s    … %s", indent, plural(more, "more field change"))
	}
}

// field renders one field change: "path: old -> new".
func (t *textWriter) field(f FieldChange) string {
	old, new := absentText, absentText
	if f.Op != Added {
		old = shortValue(f.Old, t.opts.MaxValue)
	}
	if f.Op != Removed {
		new = shortValue(f.New, t.opts.MaxValue)
	}
	p := f.Path
	if p == "" {
		p = "(whole object)"
	}
	return p + ": " + old + " -> " + new
}
