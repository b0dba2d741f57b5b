package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpFitsEightyColumns: the help of every command the overview of
// `enspace-sync help` lists (usage, text, examples, flags, exit codes) has
// no line wider than 80 columns.
func TestHelpFitsEightyColumns(t *testing.T) {
	help := func(args ...string) string {
		var out bytes.Buffer
		m := NewMain()
		m.Stdout, m.Stderr = &out, &out
		if err := m.Run(context.Background(), append([]string{"help"}, args...)); err != nil && !errors.Is(err, errHelp) {
			t.Fatalf("help %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	_, list, _ := strings.Cut(help(), "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	var names []string
	for _, line := range strings.Split(list, "\n") {
		// "  offsite push        upload ...": the name ends at two spaces.
		name, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		names = append(names, name)
	}
	if len(names) < 30 {
		t.Fatalf("the overview lists %d commands: %q", len(names), names)
	}
	for _, name := range names {
		for i, line := range strings.Split(help(strings.Fields(name)...), "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("help %s, line %d: %d columns: %s", name, i+1, n, line)
			}
		}
	}
}
