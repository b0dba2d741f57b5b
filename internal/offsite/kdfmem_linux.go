//go:build linux

package offsite

import "syscall"

// hugePageAdvice is whether hugePages can ask for anything.
const hugePageAdvice = true

// hugePages asks the kernel to back b with huge pages; only a hint.
func hugePages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
