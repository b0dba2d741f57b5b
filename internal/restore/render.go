package restore

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// symbols mark actions in the text of a plan, as in a Terraform plan.
var symbols = map[Action]string{Create: "+", Update: "~", Delete: "-", Manual: "!", Skip: "="}

// collapseAbove is how many steps of one kind, parent and action are
// listed one per line before they are summed up in one line.
const collapseAbove = 8

// SummaryLine counts a plan's steps per action: "5 to create, 1 to update,
// 0 to delete, 9 manual, 28 already equal".
func SummaryLine(p *Plan) string {
	c := p.Counts()
	return fmt.Sprintf("%d to create, %d to update, %d to delete, %d manual, %d already equal",
		c[Create], c[Update], c[Delete], c[Manual], c[Skip])
}

// WriteText writes the plan for people: a summary line per action, then
// the steps that write or need a person, grouped by action. With results
// (after Apply), each step also shows its outcome.
func WriteText(w io.Writer, p *Plan) error {
	ew := &errWriter{w: w}
	from := p.Source
	if p.SourceRef != "" {
		from += " (" + p.SourceRef + ")"
	}
	ew.printf("Plan: %s %s into %s\n", p.Operation, from, p.Target)
	ew.printf("  %s\n", SummaryLine(p))
	for _, a := range []Action{Create, Update, Delete, Manual} {
		steps := p.stepsWith(a)
		if len(steps) == 0 {
			continue
		}
		ew.printf("\n%s:\n", heading(a))
		for _, g := range group(steps) {
			if len(g) > collapseAbove {
				s := g[0]
				what := kindLabel(s.Kind) + "s"
				if s.Phase == PhaseLinks {
					what = "relation values of " + what
				}
				ew.printf("  %s %d %s of %s (%s … %s): %s%s\n", symbols[a], len(g), what, s.Parent,
					g[0].Key, g[len(g)-1].Key, commonReason(g), groupOutcome(g))
				continue
			}
			for _, s := range g {
				ew.printf("  %s %s: %s%s\n", symbols[a], name(s), s.Reason, outcome(s))
			}
		}
	}
	if p.Empty() {
		ew.printf("\nNothing to apply: the target already matches")
		if p.Counts()[Manual] > 0 {
			ew.printf(" (except the manual steps above)")
		}
		ew.printf(".\n")
	}
	return ew.err
}

func heading(a Action) string {
	switch a {
	case Create:
		return "Create"
	case Update:
		return "Update"
	case Delete:
		return "Delete (--prune)"
	}
	return "Manual: the API cannot do these; a person must, in the Enspace UI"
}

func (p *Plan) stepsWith(a Action) []*Step {
	var out []*Step
	for _, s := range p.Steps {
		if s.Action == a {
			out = append(out, s)
		}
	}
	return out
}

// group splits steps into runs of the same kind, parent and phase.
func group(steps []*Step) [][]*Step {
	var out [][]*Step
	for _, s := range steps {
		n := len(out)
		if n > 0 {
			last := out[n-1][0]
			if last.Kind == s.Kind && last.Parent == s.Parent && last.Phase == s.Phase && s.Kind == kind.Items {
				out[n-1] = append(out[n-1], s)
				continue
			}
		}
		out = append(out, []*Step{s})
	}
	return out
}

// name returns a step's object for people: `type contracts "Contracts"`.
func name(s *Step) string {
	what := kindLabel(s.Kind)
	switch s.Kind {
	case KindPermissions:
		what = "permissions of role"
	case KindGroupUsers:
		what = "members of group"
	}
	key := s.Key
	if s.Parent != "" {
		key = s.Parent + "/" + key
	}
	if s.Phase == PhaseLinks {
		what = "references of " + what
	}
	out := what + " " + key
	if s.Label != "" && s.Label != s.Key {
		out += fmt.Sprintf(" %q", s.Label)
	}
	return out
}

func outcome(s *Step) string {
	if s.Result == nil {
		return ""
	}
	switch s.Result.Status {
	case StatusFailed:
		return " [FAILED: " + s.Result.Error + "]"
	case StatusDone:
		out := " [done"
		if s.Result.TargetID != "" && s.Action == Create {
			out += ", id " + s.Result.TargetID
		}
		if s.Result.Note != "" {
			out += ", " + s.Result.Note
		}
		return out + "]"
	}
	return ""
}

// commonReason is the reason the steps of a group share, up to its first
// ";" or ":" detail.
func commonReason(g []*Step) string {
	r := g[0].Reason
	for _, s := range g[1:] {
		if s.Reason != r {
			if i := strings.IndexAny(r, ":;"); i > 0 {
				return r[:i]
			}
			return r
		}
	}
	return r
}

func groupOutcome(g []*Step) string {
	counts := map[string]int{}
	var failures []string
	for _, s := range g {
		if s.Result != nil {
			counts[s.Result.Status]++
			if s.Result.Status == StatusFailed {
				failures = append(failures, s.Key+": "+s.Result.Error)
			}
		}
	}
	if len(counts) == 0 {
		return ""
	}
	var parts []string
	for _, st := range sortedStatuses(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	out := " [" + strings.Join(parts, ", ") + "]"
	for _, f := range failures {
		out += "\n      FAILED " + f
	}
	return out
}

func sortedStatuses(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteSummary writes the outcome of an apply in one line.
func WriteSummary(w io.Writer, sum Summary) error {
	notSent := ""
	if n := sum[StatusNotSent]; n > 0 {
		notSent = fmt.Sprintf(", %d not sent", n)
	}
	_, err := fmt.Fprintf(w, "Applied: %d done, %d failed, %d manual, %d already equal%s\n",
		sum[StatusDone], sum[StatusFailed], sum[StatusManual], sum[StatusSkipped], notSent)
	return err
}

// WriteRefusedFields writes, one line per kind, the fields beyond the
// contract that the server refused on a write of the apply of p, and so
// were not written: "types: the server refused fields it does not take:
// revision (not restored)". Nothing when there were none.
func WriteRefusedFields(w io.Writer, p *Plan) error {
	for _, line := range RefusedFieldLines(p) {
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// RefusedFieldLines are the lines of WriteRefusedFields, sorted by kind.
func RefusedFieldLines(p *Plan) []string {
	kinds := make([]string, 0, len(p.RefusedFields))
	for k := range p.RefusedFields {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	done := "written"
	switch p.Operation {
	case "restore", "replicate":
		done = p.Operation + "d"
	}
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("%s: the server refused fields it does not take: %s (not %s)",
			k, strings.Join(p.RefusedFields[k], ", "), done))
	}
	return out
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
