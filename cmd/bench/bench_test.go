package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary play the pager, which the benchmark runs
// as a child process of itself.
func TestMain(m *testing.M) {
	if pagerMain() {
		return
	}
	os.Exit(m.Run())
}

// TestBenchSmall runs the benchmark once on a small workspace and checks
// that it completes and prints every row; it asserts no timings. The daily
// edits must show in the snapshots' change summaries (bench fails
// otherwise).
func TestBenchSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not in -short")
	}
	var out bytes.Buffer
	o := options{items: 900, runs: 1, restoreItems: 30, memoryItems: 300, typePlan: "contracts", logf: t.Logf}
	if err := bench(&out, o); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{
		"| backup wall / ideal (target 1.25) |",
		"| items changed a day, by the snapshot's change summary (min; 9 edited) | 9 |",
		"| database on disk / distinct versions |",
		"| restic repository MiB",
		"| database on disk / restic repository on disk (target 0.2) |",
		"| database on disk / one-stream floor (target 3) |",
		"| diff command, 10 changed items s |",
		"| diff command, 900 changed items s |",
		"| restore items/s |",
		"| export .tar.gz / tar czf (target 1.5) |",
		"| export --snapshot latest to .tar.zst s |",
		"| first backup peak RSS MiB |",
		"| backup wall / bare pager wall (target 1.1) |",
		"| backup CPU / bare pager CPU (target 4) |",
		"| bare pager CPU s (median of 1) |",
		"| load average (1 minute) before the backup |",
		"| first backup peak anonymous resident MiB (heap; sampled; target 100) |",
		"| verify peak anonymous resident MiB (sampled; target 100) |",
		"| restore plan (--dry-run) of one item: wall s (target 1) |",
		"| restore plan of one item: peak anonymous resident MiB (target 50) |",
		"| restore plan of one item: requests |",
		"| restore plan of type:contracts: CPU s |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}
