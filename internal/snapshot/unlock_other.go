//go:build !unix

package snapshot

import "os"

// unlockFile does nothing here: closing f releases the lock bbolt took.
func unlockFile(*os.File) {}
