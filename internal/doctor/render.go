package doctor

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report for people: one line per check, VERDICT
// ROUTE DETAIL, grouped by workspace, then the route overrides to add as
// YAML, then a summary. It never prints the API key (the report holds none).
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	group := ""
	var tw *tabwriter.Writer
	flush := func() {
		if tw != nil {
			tw.Flush()
		}
	}
	for _, c := range rep.Checks {
		if g := c.Workspace + "\x00" + c.Environment; g != group {
			flush()
			if group != "" {
				b.WriteString("\n")
			}
			group = g
			fmt.Fprintf(&b, "workspace %s (environment %s)\n", c.Workspace, c.Environment)
			tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Verdict, c.Route, c.Detail)
	}
	flush()
	if len(rep.Overrides) > 0 {
		b.WriteString("\nAdd these route overrides to the config:\n")
		b.WriteString(OverrideYAML(rep.Overrides))
	}
	ok, handled, failed := 0, 0, 0
	for _, c := range rep.Checks {
		switch {
		case !c.OK:
			failed++
		case c.Verdict == VerdictHandled:
			handled++
		default:
			ok++
		}
	}
	fmt.Fprintf(&b, "\n%d checks: %d ok, %d handled, %d failed\n", len(rep.Checks), ok, handled, failed)
	_, err := io.WriteString(w, b.String())
	return err
}

// OverrideYAML returns the configuration lines that set the overrides, by
// environment. An override without a path found keeps the default path
// with a comment asking for the right one.
func OverrideYAML(list []Override) string {
	var b strings.Builder
	b.WriteString("environments:\n")
	env := ""
	for _, o := range list {
		if o.Environment != env {
			env = o.Environment
			fmt.Fprintf(&b, "  %s:\n    routes:\n", env)
		}
		if o.Path != "" {
			fmt.Fprintf(&b, "      %s: %s\n", o.Route, o.Path)
		} else {
			fmt.Fprintf(&b, "      %s: %s  # answers 404: put your server's path here\n", o.Route, o.Default)
		}
	}
	return b.String()
}
