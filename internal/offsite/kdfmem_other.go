//go:build !linux

package offsite

// hugePages does nothing: huge pages are asked for on Linux only.
func hugePages(b []byte) {}
