//go:build !linux

package snapshot

// mapRegion returns size bytes of the heap: huge pages are asked for on
// Linux only.
func mapRegion(size int) []byte { return make([]byte, size) }
