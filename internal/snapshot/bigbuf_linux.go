//go:build linux && !race

package snapshot

import "syscall"

// mapRegion maps size bytes (a multiple of bigRegion) of private
// anonymous memory aligned to bigRegion and asks for huge pages; on
// failure it falls back to the heap.
func mapRegion(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size+bigRegion, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		bigBufs.onHeap = true // no trimming then: see dropPages
		return make([]byte, size)
	}
	// Keep the aligned part; the rest of the mapping is never used (and
	// never touched, so it takes no memory).
	off := (bigRegion - int(uintptrOf(b))%bigRegion) % bigRegion
	b = b[off : off+size : off+size]
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // only a hint: without it, pages of 4 KiB
	return b
}

// dropPages gives b's memory back to the system, keeping its mapping: the
// next touch of a page faults it in again, zeroed. Only when every
// region was mapped here: madvise on a buffer of the Go heap would zero
// memory the heap believes it knows. The caller holds bigBufs.mu.
func dropPages(b []byte) {
	if !bigBufs.onHeap {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}
