//go:build !linux

package offsite

// hugePageAdvice is whether hugePages can ask for anything: here not, and
// warmKDF does nothing (touching 4 KiB pages only moves IDKey's faults
// earlier, at the cost of a collection).
const hugePageAdvice = false

// hugePages does nothing: huge pages are asked for on Linux only.
func hugePages(b []byte) {}
