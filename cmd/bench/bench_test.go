package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchSmall runs the benchmark once on a small workspace and checks
// that it completes and prints its table; it asserts no timings.
func TestBenchSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not in -short")
	}
	var out bytes.Buffer
	if err := bench(&out, "", 900, 1); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"| backup wall / ideal |", "| database / compressed versions |", "objects/s |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}
