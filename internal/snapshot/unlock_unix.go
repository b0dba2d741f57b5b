//go:build unix && !solaris && !aix && !android

package snapshot

import (
	"os"
	"syscall"
)

// unlockFile releases the flock bbolt took on f. A flock belongs to f's
// open file description, so this releases no lock another handle in the
// process holds on the same file. It is explicit because bbolt's map of
// the file keeps the description, and its lock, alive past f.Close.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
