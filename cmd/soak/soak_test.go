package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSoakShort runs every part with small counts (3 backup kills, 2
// restore kills, 2 fault runs, every bad input and the secrets run) and
// requires every safety figure to be zero. Longer runs: go run ./cmd/soak.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program many times; not in -short")
	}
	o := &options{crash: 3, restoreCrash: 2, faults: 2, items: 300, seed: 1}
	var out bytes.Buffer
	tables, err := soak(o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(parts) {
		t.Fatalf("%d tables, want %d", len(tables), len(parts))
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
