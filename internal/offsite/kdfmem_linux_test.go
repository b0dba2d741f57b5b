//go:build linux && !race

package offsite

import (
	"runtime"
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
	return ru.Minflt
}

// TestDeriveMemoryWarm checks that derive's argon2id at DefaultKDF does
// not fault in its 64 MiB page by page (16,384 faults before warmKDF).
// The heap may serve IDKey from elsewhere now and then (kdfmem.go):
// one derivation of three with few faults passes. Not under the race
// detector, whose shadow memory faults in beside the heap.
func TestDeriveMemoryWarm(t *testing.T) {
	if testing.Short() {
		t.Skip("three derivations at 64 MiB")
	}
	pages := int64(DefaultKDF.Memory) / 4 // KiB to 4 KiB pages
	var got []int64
	for range 3 {
		debug.FreeOSMemory() // no free heap left from the last run
		before := minorFaults(t)
		key := derive("password", make([]byte, 32), DefaultKDF)
		faults := minorFaults(t) - before
		if len(key) != 32 {
			t.Fatalf("key of %d bytes", len(key))
		}
		if faults < pages/4 {
			return
		}
		got = append(got, faults)
	}
	t.Fatalf("derive faulted %v pages in three runs, want under %d in one: its memory was not warm", got, pages/4)
}

// TestWarmKDFSkipsLargeHeap checks that warmKDF forces no collection in
// a process whose live heap is above kdfWarmMaxLive.
func TestWarmKDFSkipsLargeHeap(t *testing.T) {
	held := make([]byte, kdfWarmMaxLive+(8<<20))
	for i := 0; i < len(held); i += 4096 {
		held[i] = 1
	}
	runtime.GC() // the live heap the guard reads now holds it
	before := gcCount()
	warmKDF(DefaultKDF.Memory)
	if n := gcCount() - before; n != 0 {
		t.Errorf("warmKDF ran %d collections with %d MiB live, want none", n, liveHeap()>>20)
	}
	runtime.KeepAlive(held)
}

func gcCount() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
