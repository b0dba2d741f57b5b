package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// TestFakeAPISynopsisListsEveryFlag: the synopsis of fake-api in
// docs/commands.md names every flag `enspace-sync fake-api --help` lists,
// so a wire variant added to the command (--writable-extra) is not left
// out of the reference.
func TestFakeAPISynopsisListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, &out
	if err := m.Run(context.Background(), []string{"fake-api", "--help"}); err != nil && !errors.Is(err, errHelp) {
		t.Fatal(err)
	}
	_, flags, ok := strings.Cut(out.String(), "\nFlags:\n")
	if !ok {
		t.Fatalf("fake-api --help lists no flags:\n%s", out.String())
	}
	names := regexp.MustCompile(`(?m)^  (--[a-z0-9-]+)`).FindAllStringSubmatch(flags, -1)
	if len(names) < 20 {
		t.Fatalf("fake-api --help lists %d flags: %q", len(names), names)
	}
	doc := readDoc(t, "docs/commands.md")
	_, synopsis, _ := strings.Cut(doc, "```\nenspace-sync fake-api ")
	synopsis, _, _ = strings.Cut(synopsis, "```")
	if synopsis == "" {
		t.Fatal("docs/commands.md has no fake-api synopsis")
	}
	for _, n := range names {
		if !regexp.MustCompile(`\[` + regexp.QuoteMeta(n[1]) + `[\] ]`).MatchString(synopsis) {
			t.Errorf("docs/commands.md: the fake-api synopsis does not name %s", n[1])
		}
	}
}

// TestHelpOfHelp: "help" takes -h, --help and -help as every command
// does (Run accepts all three before a command, flag parsing after one):
// each prints the help command's own usage and exits 0.
func TestHelpOfHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		var out bytes.Buffer
		m := NewMain()
		m.Stdout, m.Stderr = &out, &out
		err := m.Run(context.Background(), []string{"help", arg})
		if code := exitCode(err); code != ExitOK || !strings.Contains(out.String(), "enspace-sync help [COMMAND]") {
			t.Errorf("help %s: exit %d, %v:\n%s", arg, code, err, out.String())
		}
	}
}
