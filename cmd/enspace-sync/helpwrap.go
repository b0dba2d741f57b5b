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
// parentheses, so that "[--workspace NAME]" stays on one line.
func usageWords(usage string) []string {
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
