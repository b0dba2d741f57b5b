//go:build linux && !race

package offsite

import (
	"context"
	"runtime/debug"
	"syscall"
	"testing"
)

// minorFaults returns the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip(err)
	}
	return int64(ru.Minflt)
}

// kdfPages is DefaultKDF's memory in 4 KiB pages: what a cold derivation
// faults in.
var kdfPages = int64(DefaultKDF.Memory) / 4

// fewestFaults runs f three times, each on a heap given back to the
// kernel, and returns the fewest page faults one run took. The heap may
// serve IDKey from elsewhere now and then (kdfmem.go): one warm run of
// three is enough.
func fewestFaults(t *testing.T, f func()) int64 {
	fewest := int64(-1)
	for range 3 {
		debug.FreeOSMemory() // no free heap left from the last run
		before := minorFaults(t)
		f()
		if n := minorFaults(t) - before; fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}

// TestWarmKDF checks that Open leaves argon2id's 64 MiB cold by
// default (the daemon's derivations), that Options.WarmKDF has it come
// warm instead of faulted in page by page, and that the key is the same.
// The cold runs come first: the huge-page advice stays on the heap for
// the process's life, and a later cold derivation may reuse its pages.
// Not under the race detector, whose shadow memory faults in beside the
// heap.
func TestWarmKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("derivations at 64 MiB")
	}
	ctx := context.Background()
	b := NewFileBackend(t.TempDir())
	if _, err := OpenOrInit(ctx, b, Options{Password: "pw", KDF: DefaultKDF}); err != nil {
		t.Fatal(err)
	}
	open := func(warm bool) func() {
		return func() {
			if _, err := Open(ctx, b, Options{Password: "pw", WarmKDF: warm}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := fewestFaults(t, open(false)); n < kdfPages/2 {
		t.Errorf("Open without WarmKDF faulted %d pages at best, want about %d: it was warmed", n, kdfPages)
	}
	if n := fewestFaults(t, open(true)); n >= kdfPages/4 {
		t.Errorf("Open with WarmKDF faulted %d pages at best, want under %d: its memory was not warm", n, kdfPages/4)
	}
	salt := make([]byte, 32)
	if string(derive("password", salt, DefaultKDF, true)) != string(derive("password", salt, DefaultKDF, false)) {
		t.Fatal("a warm derivation gave another key")
	}
}
