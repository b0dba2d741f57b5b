package demo

import (
	"fmt"
	"strings"
)

// collapseRuns shortens the object lines of diff output: a run of more
// than keep+1 lines of the same kind and parent ("- item contracts/1061",
// "- item contracts/1062", ...) keeps its first keep lines and a count.
func collapseRuns(lines []string, keep int) []string {
	var out []string
	for i := 0; i < len(lines); {
		key := runKey(lines[i])
		j := i + 1
		for key != "" && j < len(lines) && runKey(lines[j]) == key {
			j++
		}
		if n := j - i; n > keep+1 {
			out = append(out, lines[i:i+keep]...)
			indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " "))]
			out = append(out, fmt.Sprintf("%s… and %d more", indent, n-keep))
		} else {
			out = append(out, lines[i:j]...)
		}
		i = j
	}
	return out
}

// runKey is what lines of one run share: the indentation, the change
// symbol, the kind and the parent ("    - item contracts/"); "" for a line
// that names no parent.
func runKey(line string) string {
	body := strings.TrimLeft(line, " ")
	if len(body) < 2 || !strings.Contains("-+~!", body[:1]) || body[1] != ' ' {
		return ""
	}
	fields := strings.Fields(body)
	if len(fields) < 3 {
		return ""
	}
	parent, _, ok := strings.Cut(fields[2], "/")
	if !ok {
		return ""
	}
	return line[:len(line)-len(body)] + fields[0] + " " + fields[1] + " " + parent + "/"
}

// capSections shortens plan output: blank lines go, and each section
// ("Create:", "Update:", "Manual: ...") keeps its first n lines and a count.
func capSections(lines []string, n int) []string {
	var out []string
	inSection, shown, hidden := false, 0, 0
	flush := func() {
		if hidden > 0 {
			out = append(out, fmt.Sprintf("  … and %d more", hidden))
		}
		shown, hidden = 0, 0
	}
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			continue
		case inSection && strings.HasPrefix(l, "  "):
			if shown < n {
				out = append(out, l)
				shown++
			} else {
				hidden++
			}
			continue
		}
		flush()
		inSection = !strings.HasPrefix(l, " ") && strings.HasSuffix(l, ":")
		out = append(out, l)
	}
	flush()
	return out
}

// wrapWords breaks text into lines of at most width characters at spaces
// (a longer word gets a line of its own).
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// plural is "1 update" or "2 updates".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// splitLines splits text into lines without the final empty one.
func splitLines(text string) []string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// shellJoin quotes arguments for a POSIX shell where they need it.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,~@%+") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
