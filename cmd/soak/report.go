package main

import (
	"fmt"
	"io"
	"strings"
)

// table is one part's figures: rows of what and figure, and the safety
// figures that must be zero.
type table struct {
	title  string
	rows   [][2]string
	safety []safetyFigure
	notes  []string
}

// safetyFigure is a count that must be zero for the part to pass.
type safetyFigure struct {
	name  string
	count int64
}

// add appends a row of figures.
func (t *table) add(what, format string, args ...any) {
	t.rows = append(t.rows, [2]string{what, fmt.Sprintf(format, args...)})
}

// must records a safety figure and shows it as a row.
func (t *table) must(name string, count int64) {
	t.safety = append(t.safety, safetyFigure{name, count})
	t.add(name+" (must be 0)", "%d", count)
}

// note adds a line below the table, to say what went wrong in detail.
func (t *table) note(format string, args ...any) {
	if len(t.notes) < 20 {
		t.notes = append(t.notes, fmt.Sprintf(format, args...))
	}
}

// failed lists the safety figures that are not zero.
func (t *table) failed() []string {
	var out []string
	for _, s := range t.safety {
		if s.count != 0 {
			out = append(out, fmt.Sprintf("%s: %s = %d", t.title, s.name, s.count))
		}
	}
	return out
}

// write prints the table as Markdown.
func (t *table) write(w io.Writer) {
	fmt.Fprintf(w, "### %s\n\n| what | figure |\n|---|---|\n", t.title)
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s |\n", escapeCell(r[0]), escapeCell(r[1]))
	}
	for _, n := range t.notes {
		fmt.Fprintf(w, "\n- %s", n)
	}
	if len(t.notes) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func escapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// median returns the middle value of xs (the mean of the middle two for an
// even count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
