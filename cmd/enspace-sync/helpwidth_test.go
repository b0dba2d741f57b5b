package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpFitsEightyColumns: the overview of `enspace-sync help` (a
// summary too long for one line wraps under the summaries), the list of
// each group's commands and the help of every command the overview lists
// (usage, text, examples, flags, exit codes) have no line wider than 80
// columns.
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
	fits := func(what, text string) {
		t.Helper()
		for i, line := range strings.Split(text, "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("%s, line %d: %d columns: %s", what, i+1, n, line)
			}
		}
	}
	overview := help()
	fits("help", overview)
	_, list, _ := strings.Cut(overview, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	var names []string
	groups := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "   ") {
			continue // a summary's next line
		}
		// "  offsite push        upload ...": the name ends at two spaces.
		name, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		names = append(names, name)
		if group, _, ok := strings.Cut(name, " "); ok {
			groups[group] = true
		}
	}
	if len(names) < 30 || len(groups) < 3 {
		t.Fatalf("the overview lists %d commands in %d groups: %q", len(names), len(groups), names)
	}
	for group := range groups {
		fits("help "+group, help(group))
	}
	for _, name := range names {
		fits("help "+name, help(strings.Fields(name)...))
	}
}

// TestUsageWordsKeepFlagValue: a usage wrapped at 80 columns never parts
// a flag from its value ("--output" at a line's end, "PATH" on the next).
func TestUsageWordsKeepFlagValue(t *testing.T) {
	got := usageWords("enspace-sync export [--workspace NAME] (--snapshot SNAP | --live) --output PATH [--kind KIND]... SELECTOR... | all")
	want := []string{"enspace-sync", "export", "[--workspace NAME]", "(--snapshot SNAP | --live)", "--output PATH", "[--kind KIND]...", "SELECTOR...", "|", "all"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("usageWords = %q, want %q", got, want)
	}
}
