package snapshot

import (
	"sync"
	"unsafe"
)

// Big buffers: the large, pointer-free buffers that a backup fills once
// and then uses again (the chunks PutCopy copies objects into, the table
// of waiting index entries) come from memory mapped outside the Go heap,
// in regions of 2 MiB that the kernel may back with huge pages
// (bigbuf_linux.go; elsewhere they are ordinary slices).
//
// Why: the first touch of a page of memory is a page fault, and on the
// 2-core virtual machine the benchmarks run on each costs about 10 µs of
// CPU. A first backup of 100,000 items took 12,400 of them, some 130 ms
// of its 700 ms: more than any one part of its own work. Off the heap
// these buffers take one fault per 2 MiB where huge pages are on, and
// they no longer count towards the garbage collector's heap goal (twice
// the live heap), so the heap itself grows less far into fresh pages.
// Measured (the backup against the fake API without latency, 12 runs of
// each, alternated): 12,400 faults -> 6,100, backup CPU 8% less.
//
// Buffers are never unmapped: one given back (bigFree) goes to a list of
// its size and is handed out again, zeroed, by the next bigAlloc of that
// size. A buffer used after it was given back therefore holds another
// user's bytes but never faults the process, as a reused heap buffer
// would not; what the process keeps is the most it ever had in use at
// once, as a heap that the collector had not yet returned to the system;
// at a run's end, bigTrim gives the memory of the free ones back.

// bigRegion is the size of a region mapped at once: a huge page.
const bigRegion = 2 << 20

// bigMin is the smallest buffer size handed out.
const bigMin = 64 << 10

var bigBufs struct {
	mu     sync.Mutex
	free   map[int][][]byte // by size
	rest   []byte           // what is left of the last region carved up
	onHeap bool             // a region came from the heap (mapRegion failed)
}

// bigSize is the size of the buffer bigAlloc(n) hands out: a power of two
// up to half a region, a whole number of regions above.
func bigSize(n int) int {
	if n > bigRegion/2 {
		return (n + bigRegion - 1) &^ (bigRegion - 1)
	}
	s := bigMin
	for s < n {
		s *= 2
	}
	return s
}

// bigAlloc returns a zeroed buffer of length n, with capacity bigSize(n),
// outside the Go heap where it can. Give it back with bigFree.
func bigAlloc(n int) []byte {
	size := bigSize(n)
	bigBufs.mu.Lock()
	if l := bigBufs.free[size]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		bigBufs.free[size] = l[:len(l)-1]
		bigBufs.mu.Unlock()
		clear(b)
		return b[:n]
	}
	var b []byte
	if size >= bigRegion {
		b = mapRegion(size)
	} else {
		if len(bigBufs.rest) < size {
			bigBufs.rest = mapRegion(bigRegion)
		}
		b, bigBufs.rest = bigBufs.rest[:size:size], bigBufs.rest[size:]
	}
	bigBufs.mu.Unlock()
	return b[:n] // fresh from the system: zero
}

// bigFree gives back a buffer from bigAlloc. Nothing may use it after.
func bigFree(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:cap(b)]
	bigBufs.mu.Lock()
	if bigBufs.free == nil {
		bigBufs.free = map[int][][]byte{}
	}
	bigBufs.free[len(b)] = append(bigBufs.free[len(b)], b)
	bigBufs.mu.Unlock()
}

// bigTrim gives the memory of every buffer given back to the system,
// keeping the buffers for later (their next use faults their pages in
// again): a run's end calls it, so that a daemon between backups holds
// no chunks' memory, as a heap whose collector had returned it.
func bigTrim() {
	bigBufs.mu.Lock()
	defer bigBufs.mu.Unlock()
	for _, l := range bigBufs.free {
		for _, b := range l {
			dropPages(b)
		}
	}
}

// bigSlice returns a zeroed slice of n elements of E from bigAlloc. E must
// hold no pointers: the garbage collector does not look into it.
func bigSlice[E any](n int) []E {
	var e E
	size := int(unsafe.Sizeof(e))
	b := bigAlloc(max(n*size, 1))
	return unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(b))), cap(b)/size)[:n]
}

// bigSliceFree gives back a slice from bigSlice (its whole capacity).
func bigSliceFree[E any](s []E) {
	if cap(s) == 0 {
		return
	}
	var e E
	// The buffer's size: its elements may leave a few bytes of it over.
	size := bigSize(cap(s) * int(unsafe.Sizeof(e)))
	bigFree(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size))
}

// uintptrOf is the address of b's first byte.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
