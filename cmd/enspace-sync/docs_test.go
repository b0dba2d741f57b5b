package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docFiles returns README.md and docs/*.md, relative to this package.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) < 5 {
		t.Fatalf("docs/*.md: %v, %d files", err, len(docs))
	}
	return append([]string{filepath.Join("..", "..", "README.md")}, docs...)
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	mdFence   = regexp.MustCompile("(?ms)^```.*?^```")
	mdCode    = regexp.MustCompile("`[^`\n]*`")
)

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range mdHeading.FindAllStringSubmatch(mdFence.ReplaceAllString(text, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

// TestDocLinksResolve checks every relative link of README.md and
// docs/*.md: the file exists inside the repository and, for a link with
// #anchor, the heading exists in it. Links to the web are not fetched.
func TestDocLinksResolve(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, doc := range docFiles(t) {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := mdCode.ReplaceAllString(mdFence.ReplaceAllString(string(data), ""), "")
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			checked++
			file, anchor, _ := strings.Cut(link, "#")
			target := doc
			if file != "" {
				target = filepath.Join(filepath.Dir(doc), file)
			}
			abs, _ := filepath.Abs(target)
			if !strings.HasPrefix(abs, root+string(filepath.Separator)) {
				t.Errorf("%s: link %q points outside the repository", doc, link)
				continue
			}
			body, err := os.ReadFile(target)
			if err != nil {
				if fi, serr := os.Stat(target); serr == nil && fi.IsDir() && anchor == "" {
					continue
				}
				t.Errorf("%s: link %q: %v", doc, link, err)
				continue
			}
			if anchor != "" && !anchors(string(body))[anchor] {
				t.Errorf("%s: link %q: no heading with anchor #%s in %s", doc, link, anchor, target)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d links", checked)
	}
}

// quickStart returns the shell block of the README between the quick
// start markers.
func quickStart(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- quick start: run by TestQuickStart -->\n```sh\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- end of quick start -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no quick start block between the markers")
	}
	return block
}

// TestQuickStart runs the README's quick start as written, in bash, in a
// temporary directory, with the program built from this tree first on
// PATH and a home of its own. Only the fake's address changes: a free port
// for 127.0.0.1:8090, which may be taken.
func TestQuickStart(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	block := quickStart(t)
	if strings.Count(block, "127.0.0.1:8090") < 2 {
		t.Fatalf("the quick start no longer uses 127.0.0.1:8090:\n%s", block)
	}
	addr := freeAddr(t)
	script := "set -e\n" + strings.ReplaceAll(block, "127.0.0.1:8090", addr)
	bin := buildProgram(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t.Cleanup(func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the fake, should the block fail before kill %1
		}
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"ok  ", "auth", // doctor from config init
		"of acme: complete",
		"already equal",
		"no damage found",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("quick start output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"config.yaml", "local.key", "enspace-sync.db", "acme.tar.gz"} {
		if _, err := os.Stat(filepath.Join(dir, "enspace-sync-quickstart", f)); err != nil {
			t.Errorf("quick start left no %s: %v", f, err)
		}
	}
	checkQuickStartFigures(t, string(out))
	t.Logf("quick start output:\n%s", out)
}

// backupLine is the summary line of a backup: objects, requests and KiB added.
var backupLine = regexp.MustCompile(`of acme: complete, (\d+) objects in \S+, (\d+) requests, ([\d.]+) KiB added`)

// checkQuickStartFigures compares the backup line the README quotes after
// the quick start with the one the block printed: objects, requests and
// bytes added may vary a little from run to run (the request log grows
// with every request), not by a factor.
func checkQuickStartFigures(t *testing.T, out string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(readme), "<!-- end of quick start -->")
	doc, got := backupLine.FindStringSubmatch(after), backupLine.FindStringSubmatch(out)
	if doc == nil || got == nil {
		t.Fatalf("no backup line in the README after the quick start (%q) or in its output (%q)", doc, got)
	}
	for i, name := range []string{"", "objects", "requests", "KiB added"} {
		if i == 0 {
			continue
		}
		d, _ := strconv.ParseFloat(doc[i], 64)
		g, _ := strconv.ParseFloat(got[i], 64)
		if g < d*0.8 || g > d*1.25 {
			t.Errorf("the README says the quick start's backup prints %s %s, it printed %s:\n%s", doc[i], name, got[i], got[0])
		}
	}
}

// TestVersionFromClone builds the program as the README's install from a
// clone does and checks that version names the commit. Go stamps the
// revision only where .git is a directory: in a git worktree the test
// builds from a local clone of HEAD instead.
func TestVersionFromClone(t *testing.T) {
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := ""
	if fi, err := os.Stat(filepath.Join("..", "..", ".git")); err == nil && fi.IsDir() {
		bin = buildProgram(t)
	} else {
		clone := filepath.Join(t.TempDir(), "enspace-sync")
		if out, err := exec.Command("git", "clone", "-q", "--shared", "--no-checkout", filepath.Join("..", ".."), clone).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		if out, err := exec.Command("git", "-C", clone, "checkout", "-q", strings.TrimSpace(string(rev))).CombinedOutput(); err != nil {
			t.Fatalf("git checkout: %v\n%s", err, out)
		}
		bin = filepath.Join(t.TempDir(), "enspace-sync")
		cmd := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/enspace-sync")
		cmd.Dir = clone
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build in a clone: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v buildInfo
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	commit := strings.TrimSpace(string(rev))[:12]
	// Go 1.24 and later make a pseudo-version of the commit, such as
	// v0.0.0-20261204104611-988b940f0a42; a tagged commit gets its tag.
	if v.Commit != commit || v.Version == "" || v.Version == "dev" || !strings.HasPrefix(v.Go, "go") {
		t.Errorf("version = %+v, want the module version of commit %s", v, commit)
	}
}

// buildProgram builds enspace-sync from this tree into a temporary
// directory, with VCS stamping as go build in a clone has it by default.
func buildProgram(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "enspace-sync")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is the environment without enspace-sync's and XDG's variables.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ENSPACE_SYNC_") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "CREDENTIALS_DIRECTORY=") &&
			!strings.HasPrefix(kv, "STATE_DIRECTORY=") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "HOME=") {
			out = append(out, kv)
		}
	}
	return out
}
