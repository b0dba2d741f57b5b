package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// exitMeanings are, per exit code, words that each description of it
// holds: the README's table, `enspace-sync help` and troubleshooting's
// one-line list say the same thing of each code.
var exitMeanings = map[string][]string{
	"0":   {"success|ok"},
	"1":   {"fail"},
	"2":   {"command line", "config"},
	"3":   {"part"},
	"4":   {"lock"},
	"5":   {"diff|changes"},
	"130": {"interrupt"},
}

// TestExitCodesDocumentedAlike: the exit-code table of the README, the
// one `enspace-sync help` prints and the one-line list at the top of
// docs/troubleshooting.md name the codes 0, 1, 2, 3, 4, 5 and 130, each
// once, in that order, with the same meaning.
func TestExitCodesDocumentedAlike(t *testing.T) {
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, &out
	if err := m.Run(context.Background(), []string{"help"}); err != nil {
		t.Fatal(err)
	}
	_, help, ok := strings.Cut(out.String(), "Exit status:\n")
	if !ok {
		t.Fatalf("help prints no exit status table:\n%s", out.String())
	}
	readme := readDoc(t, "README.md")
	_, table, _ := strings.Cut(readme, "## Exit codes\n")
	table, _, _ = strings.Cut(table, "\n## ")
	trouble := readDoc(t, filepath.Join("docs", "troubleshooting.md"))
	_, list, ok := strings.Cut(trouble, "Exit codes: ")
	list, _, _ = strings.Cut(list, "(`enspace-sync help`")
	list = strings.Join(strings.Fields(list), " ") // one line
	if !ok {
		t.Fatal("docs/troubleshooting.md has no \"Exit codes: \" list")
	}
	for _, src := range []struct {
		name  string
		codes [][2]string
	}{
		{"enspace-sync help", splitCodes(help, regexp.MustCompile(`(?m)^  (\d+) +`))},
		{"README.md", splitCodes(table, regexp.MustCompile(`(?m)^\| (\d+) \| `))},
		{"docs/troubleshooting.md", splitCodes(list, regexp.MustCompile(`(?:^|, )(\d+) `))},
	} {
		var got []string
		for _, c := range src.codes {
			got = append(got, c[0])
			text := strings.ToLower(strings.Join(strings.Fields(c[1]), " "))
			for _, want := range exitMeanings[c[0]] {
				if !regexp.MustCompile(want).MatchString(text) {
					t.Errorf("%s: code %s is %q: it does not say %q", src.name, c[0], text, want)
				}
			}
		}
		if want := []string{"0", "1", "2", "3", "4", "5", "130"}; !slices.Equal(got, want) {
			t.Errorf("%s names the exit codes %v, want %v", src.name, got, want)
		}
	}
}

// splitCodes cuts text at each match of start (whose group is a code)
// into the codes and their descriptions, in order.
func splitCodes(text string, start *regexp.Regexp) [][2]string {
	var out [][2]string
	idx := start.FindAllStringSubmatchIndex(text, -1)
	for i, m := range idx {
		end := len(text)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		out = append(out, [2]string{text[m[2]:m[3]], text[m[1]:end]})
	}
	return out
}

// readDoc reads a file of the repository, relative to its root.
func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
