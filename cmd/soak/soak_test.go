package main

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestSoakShort runs the first parts with small counts (3 backup kills, 2
// restore kills, 2 fault runs, every bad input and the secrets run) and
// requires every safety figure to be zero; kill-commit and bitrot have
// tests of their own. Longer runs: go run ./cmd/soak.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program many times; not in -short")
	}
	o := &options{crash: 3, restoreCrash: 2, faults: 2, items: 300, seed: 1, only: "crash,restore-crash,faults,bad-input,secrets"}
	var out bytes.Buffer
	tables, err := soak(o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 5 {
		t.Fatalf("%d tables, want 5", len(tables))
	}
	if bad := failures(tables); len(bad) > 0 {
		t.Errorf("safety figures not zero:\n%s", strings.Join(bad, "\n"))
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

// soakPart runs one part with o's counts and requires its safety figures
// to be zero.
func soakPart(t *testing.T, o *options) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the program many times; not in -short")
	}
	var out bytes.Buffer
	tables, err := soak(o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if bad := failures(tables); len(bad) > 0 {
		t.Errorf("safety figures not zero:\n%s", strings.Join(bad, "\n"))
	}
}

// TestKillAtDeletionCommit kills 12 backups of a deletion near their commit
// (ENSPACE_SOAK_LONG=1: 40): no kill loses the anomaly or the protection
// of the snapshot before it.
func TestKillAtDeletionCommit(t *testing.T) {
	n := 12
	if os.Getenv("ENSPACE_SOAK_LONG") != "" {
		n = 40
	}
	soakPart(t, &options{only: "kill-commit", killCommit: n, items: 500, seed: 1})
}

// TestBitRotHeals damages 4 stored objects one byte at a time
// (ENSPACE_SOAK_LONG=1: 20): the next backup heals each, exports of the
// healed snapshot are private under umask 022, and a deleted chunk makes
// backups refuse the database.
func TestBitRotHeals(t *testing.T) {
	old := syscall.Umask(0o022) // the programs it runs inherit it
	defer syscall.Umask(old)
	n := 4
	if os.Getenv("ENSPACE_SOAK_LONG") != "" {
		n = 20
	}
	soakPart(t, &options{only: "bitrot", bitRot: n, items: 200, seed: 1})
}

// TestKillMaintenance kills 6 runs of forget --prune, prune and db compact
// (ENSPACE_SOAK_LONG=1: 30): the database verifies after each kill, and
// the command run again succeeds.
func TestKillMaintenance(t *testing.T) {
	n := 6
	if os.Getenv("ENSPACE_SOAK_LONG") != "" {
		n = 30
	}
	soakPart(t, &options{only: "kill-maintenance", killMaint: n, items: 1000, seed: 1})
}
