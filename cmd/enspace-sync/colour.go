package main

import (
	"bytes"
	"io"
	"strings"
)

// ANSI colours of the output on a terminal.
const (
	ansiRed     = "\033[31m"
	ansiGreen   = "\033[32m"
	ansiYellow  = "\033[33m"
	ansiMagenta = "\033[35m"
	ansiReset   = "\033[0m"
)

// colour reports whether output on w (Main's Stdout or Stderr) is
// coloured: on a terminal, unless $NO_COLOR is set (https://no-color.org)
// or $TERM is "dumb". Pipes, files and the journal never get escape codes.
func (m *Main) colour(w io.Writer) bool {
	return m.terminal(w) && m.Getenv("NO_COLOR") == "" && m.Getenv("TERM") != "dumb"
}

// paintLine colours one line of output by what it says: a plan's signs
// (+ create, ~ update, - delete, ! manual), an ANOMALY, a FAILED step.
func paintLine(line string) string {
	trimmed := strings.TrimLeft(line, " ")
	var c string
	switch {
	case strings.HasPrefix(trimmed, "ANOMALY"), strings.HasPrefix(trimmed, "FAILED"):
		c = ansiRed
	case strings.HasPrefix(trimmed, "+ "):
		c = ansiGreen
	case strings.HasPrefix(trimmed, "~ "):
		c = ansiYellow
	case strings.HasPrefix(trimmed, "- "):
		c = ansiRed
	case strings.HasPrefix(trimmed, "! "):
		c = ansiMagenta
	default:
		return line
	}
	return c + line + ansiReset
}

// writeText runs write into m.Stdout, colouring its lines when stdout is
// a terminal (see colour).
func (m *Main) writeText(write func(w io.Writer) error) error {
	if !m.colour(m.Stdout) {
		return write(m.Stdout)
	}
	var buf bytes.Buffer
	err := write(&buf)
	lines := strings.SplitAfter(buf.String(), "\n")
	for _, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		out := paintLine(body)
		if nl {
			out += "\n"
		}
		if _, werr := io.WriteString(m.Stdout, out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// errorPrefix is how ReportError starts an error line: "enspace-sync:",
// in red on a terminal.
func (m *Main) errorPrefix() string {
	if m.colour(m.Stderr) {
		return ansiRed + "enspace-sync:" + ansiReset
	}
	return "enspace-sync:"
}
