package offsite

import (
	"runtime"
	"runtime/metrics"
)

// Warming argon2id's memory (Options.WarmKDF): argon2.IDKey allocates its
// memory (64 MiB with DefaultKDF) afresh on every call, and the first
// touch of each of its 16,384 pages is a page fault: on the 2-core
// virtual machine the benchmarks run on, some 0.2 to 0.25 CPU-seconds,
// four times the derivation's own work. The library takes no buffer, so
// derive hands it one the heap already holds: warmKDF allocates a buffer
// of that size, asks the kernel for huge pages on it (one fault per 2 MiB
// where they are on), touches it, drops it and collects it, so that
// IDKey's allocation, the next large one, is served from those pages (the
// heap gives the lowest free run that fits) and only cleared. Where the
// heap serves it from elsewhere (another goroutine took part of the run
// meanwhile, or a free run below it fits IDKey but not the larger warmed
// buffer: an earlier derivation's memory, given back to the kernel),
// IDKey faults as before and the warming was wasted: some 0.02 to 0.1 s
// of CPU and never a wrong key, since the derivation itself is untouched.
// A fresh process, restore-db's, has no such run. A second derivation in
// one process (unlock trying a second key file) finds the first one's
// memory counted as live by the collection that ran during it: warmKDF
// collects once more before it gives up on a large live heap.
//
// It is for one-shot commands only (restore-db): the huge-page advice
// stays on that range of the heap for the life of the process, where a
// later fault may stall on the kernel's compaction and memory the runtime
// gives back may be filled again (why the Go runtime stopped asking for
// huge pages on its heap), and each warming forces a collection. The
// daemon, which derives a key for each push, never sets it.

// kdfWarmMin is the smallest argon2id memory (KiB) warmKDF warms: below
// it the faults cost less than the collection.
const kdfWarmMin = 8 << 10

// kdfWarmMaxLive is the live heap above which warmKDF does nothing more
// than the one collection that confirms it: warming collects again, and a
// collection of such a heap would cost about what the faults do.
const kdfWarmMaxLive = 64 << 20

// kdfWarmSlack is what warmKDF allocates beyond the derivation's memory,
// so that a few pages another goroutine takes from the run leave enough
// of it for IDKey.
const kdfWarmSlack = 1 << 20

// warmKDF readies kib KiB of warmed heap for the next large allocation.
func warmKDF(kib uint32) {
	if !hugePageAdvice || kib < kdfWarmMin {
		return
	}
	if liveHeap() > kdfWarmMaxLive {
		// An earlier derivation's memory (unlock trying a second key)
		// counted as live at the collection that ran during it, and is
		// garbage now: collected, its pages serve this one.
		runtime.GC()
		if liveHeap() > kdfWarmMaxLive {
			return
		}
	}
	b := make([]byte, int(kib)<<10+kdfWarmSlack)
	hugePages(b)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b) // b is dead from here
	runtime.GC()         // frees b's pages for IDKey's allocation
}

// liveHeap returns the heap the last collection found live.
func liveHeap() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}
