package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/dashboard/dashtest"
)

// buildBinary builds enspace-sync into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "enspace-sync")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/enspace-sync/enspace-sync/cmd/enspace-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestUIInBrowser runs the real binary: the demo keeps its database, `ui`
// prints a URL, and Chromium finds there the demo's workspaces, and on
// the anomalous snapshot's page the changes `diff --json` prints for it.
func TestUIInBrowser(t *testing.T) {
	b := newBrowser(t)
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command(bin, "demo", "--keep", dir, "--fast").CombinedOutput(); err != nil {
		t.Fatalf("enspace-sync demo: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ui := exec.CommandContext(ctx, bin, "ui", "--config", cfg, "--no-open")
	ui.Cancel = func() error { return ui.Process.Signal(os.Interrupt) }
	ui.WaitDelay = 5 * time.Second
	stdout, err := ui.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ui.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = ui.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the URL ui prints: %v (got %q)", err, line)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{22}/`).FindString(line)
	if url == "" {
		t.Fatalf("ui printed no URL with a secret path: %q", line)
	}

	b.load(url, "ui-overview")
	names := eval[[]string](b, `[...document.querySelectorAll("tr.job")].map(r => r.dataset.name)`)
	if want := []string{"acme", "acme-stage"}; !slices.Equal(names, want) {
		t.Errorf("workspaces %q, want %q", names, want)
	}

	svc := dashtest.Open(t, cfg)
	bad := anomalous(t, dashtest.Snapshots(t, svc, "acme"))
	prev := bad.Changes.Since
	out, err := exec.Command(bin, "diff", "--config", cfg, "--workspace", "acme", "--json", prev, bad.ID).Output()
	if err != nil {
		t.Fatalf("enspace-sync diff: %v", err)
	}
	var d struct {
		Changes []struct{ Kind, Parent, Key, Op string }
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range d.Changes {
		want = append(want, changeRef(c.Kind, c.Parent, c.Key, c.Op))
	}
	b.load(url+"workspaces/acme/snapshots/"+bad.ShortID(), "ui-snapshot")
	got := eval[[]string](b, `[...document.querySelectorAll("li.change")].map(li => li.closest("section").dataset.kind + " " + li.dataset.ref + " " + li.dataset.op)`)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("the snapshot page lists\n%s\nwhile diff prints\n%s", join(got), join(want))
	}
}
