package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocumentedCommandsExist checks every enspace-sync command line of the
// README, of docs/*.md and of each command's --help examples: the command
// exists and its flags parse (Main.parseOnly stops it there), so
// documentation cannot name a command or a flag that is gone.
func TestDocumentedCommandsExist(t *testing.T) {
	lines := map[string]string{} // command line -> where
	for _, doc := range docFiles(t) {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range commandLines(string(text), true) {
			lines[l] = filepath.Base(doc)
		}
	}
	for name, c := range commands {
		_, examples, _ := strings.Cut(c.help, "Examples:")
		for _, l := range commandLines(examples, false) {
			lines[l] = "help of " + name
		}
	}
	if len(lines) < 40 {
		t.Fatalf("found only %d documented command lines", len(lines))
	}
	keys := make([]string, 0, len(lines))
	for l := range lines {
		keys = append(keys, l)
	}
	sort.Strings(keys)
	for _, l := range keys {
		args := shellWords(strings.TrimPrefix(l, "enspace-sync "))
		var out, errOut bytes.Buffer
		m := NewMain()
		m.Stdout, m.Stderr, m.parseOnly = &out, &errOut, true
		err := m.Run(context.Background(), args)
		if !errors.Is(err, errParsedOnly) && !errors.Is(err, errHelp) && !(err == nil && (len(args) == 0 || args[0] == "help")) {
			t.Errorf("%s: %q does not parse: %v %s", lines[l], l, err, errOut.String())
		}
	}
}

// commandLines returns the enspace-sync command lines of text: in fenced
// code blocks when fenced is set, else every line; continuation
// backslashes are joined, and everything from a shell operator or a
// comment on is cut.
func commandLines(text string, fenced bool) []string {
	var out []string
	in := !fenced
	var cont string
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if fenced && strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if !in {
			continue
		}
		if cont != "" {
			line = cont + " " + line
			cont = ""
		}
		if strings.HasSuffix(line, "\\") {
			cont = strings.TrimSuffix(line, "\\")
			continue
		}
		line = strings.TrimPrefix(line, "$ ")
		line = strings.TrimPrefix(line, "sudo ")
		line = strings.Replace(line, "go run ./cmd/enspace-sync", "enspace-sync", 1)
		i := strings.Index(line, "enspace-sync ")
		if i < 0 || (i > 0 && !strings.HasSuffix(line[:i], "&& ") && !strings.HasSuffix(line[:i], "$(")) {
			continue
		}
		line = line[i:]
		for _, op := range []string{" | ", " && ", " > ", " >> ", " 2>", " # ", "; ", ")"} {
			if j := strings.Index(line, op); j >= 0 {
				line = line[:j]
			}
		}
		out = append(out, strings.TrimSpace(line))
	}
	return out
}

// shellWords splits a command line on spaces, keeping quoted strings
// together and without their quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quote := rune(0)
	has := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, has = r, true
		case r == ' ' || r == '\t':
			if has || cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
		}
	}
	if has || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
