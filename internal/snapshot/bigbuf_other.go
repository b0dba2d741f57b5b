//go:build !linux || race

package snapshot

// mapRegion returns size bytes of the heap: huge pages are asked for on
// Linux only, and not under the race detector, which sees no access to
// memory outside the Go heap (TestBigBufSeenByRaceDetector).
func mapRegion(size int) []byte { return make([]byte, size) }

// dropPages keeps b: the heap's collector returns what it frees.
func dropPages(b []byte) {}
