//go:build linux && !race

package snapshot

import "syscall"

// mapRegion maps size bytes (a multiple of bigRegion) of private
// anonymous memory aligned to bigRegion and asks for huge pages; on
// failure it falls back to the heap.
func mapRegion(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size+bigRegion, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, size)
	}
	// Keep the aligned part; the rest of the mapping is never used (and
	// never touched, so it takes no memory).
	off := (bigRegion - int(uintptrOf(b))%bigRegion) % bigRegion
	b = b[off : off+size : off+size]
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // only a hint: without it, pages of 4 KiB
	return b
}
