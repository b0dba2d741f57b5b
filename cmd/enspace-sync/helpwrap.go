package main

import "strings"

// helpWidth is the widest line of a command's help: its usage, text,
// flags and exit codes fit a terminal of 80 columns.
const helpWidth = 80

// wrapWords fills words into lines of at most width columns, the first
// starting with first and the others with indent; a word longer than a
// line stands alone on its own.
func wrapWords(words []string, first, indent string, width int) string {
	var b strings.Builder
	line := first
	start := len(first)
	for _, w := range words {
		if len(line) > start && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, start = indent, len(indent)
		}
		if len(line) > start {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}

// usageWords splits a usage synopsis at its spaces outside brackets and
// parentheses, so that "[--workspace NAME]" stays on one line, as does a
// flag outside brackets with its value ("--output PATH").
func usageWords(usage string) []string {
	var out []string
	for _, w := range usageParts(usage) {
		if n := len(out); n > 0 && strings.HasPrefix(out[n-1], "-") && !strings.Contains(out[n-1], " ") && isMetavar(w) {
			out[n-1] += " " + w
			continue
		}
		out = append(out, w)
	}
	return out
}

// isMetavar reports whether w is a flag's value in a synopsis: a word in
// capitals ("PATH", "SNAP", "FILE").
func isMetavar(w string) bool {
	return w != "" && w[0] >= 'A' && w[0] <= 'Z'
}

// usageParts splits usage at its spaces outside brackets and parentheses.
func usageParts(usage string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range usage {
		switch r {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case ' ':
			if depth == 0 {
				if i > start {
					out = append(out, usage[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(usage) {
		out = append(out, usage[start:])
	}
	return out
}
