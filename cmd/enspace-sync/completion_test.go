package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// completionScript returns what "enspace-sync completion SHELL" prints,
// written to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, &errOut
	if err := m.Run(context.Background(), []string{"completion", shell}); err != nil {
		t.Fatalf("completion %s: %v %s", shell, err, errOut.String())
	}
	path := filepath.Join(t.TempDir(), "completion."+shell)
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCompletionBash loads the bash script with source <(...) and
// completes a command, a subcommand and a flag with it.
func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	script := completionScript(t, "bash")
	complete := func(words ...string) string {
		t.Helper()
		prog := `source <(cat "$1") || exit 9
shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_enspace_sync
echo "${COMPREPLY[*]}"`
		out, err := exec.Command("bash", append([]string{"-c", prog, "bash", script}, words...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"enspace-sync", "snap"}, "snapshots"},
		{[]string{"enspace-sync", "con"}, "config"},
		{[]string{"enspace-sync", "config", "i"}, "init"},
		{[]string{"enspace-sync", "--config", "f.yaml", "backup", "--wo"}, "--workspace"},
		{[]string{"enspace-sync", "config", "init", "--base"}, "--base-url"},
		{[]string{"enspace-sync", "show", "latest", ""}, ""}, // file names, by bash itself
	} {
		if got := complete(c.words...); got != c.want {
			t.Errorf("complete %q = %q, want %q", c.words, got, c.want)
		}
	}
}

// TestCompletionZshFish loads the zsh and fish scripts in their shells.
func TestCompletionZshFish(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err == nil {
		script := completionScript(t, "zsh")
		out, err := exec.Command("zsh", "-c", `autoload -U compinit && compinit -u && source "$1" && complete -p enspace-sync`, "zsh", script).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "_enspace_sync") {
			t.Errorf("zsh: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err == nil {
		script := completionScript(t, "fish")
		out, err := exec.Command("fish", "-c", `source $argv[1]; and complete -C "enspace-sync config i"`, script).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "init\t") {
			t.Errorf("fish: %v\n%s", err, out)
		}
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	var out, errOut bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, &errOut
	err := m.Run(context.Background(), []string{"completion", "powershell"})
	if code := m.ReportError(err); code != ExitUsage || !strings.Contains(errOut.String(), `unknown shell "powershell" (want bash, zsh, fish)`) {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
