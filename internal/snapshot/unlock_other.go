//go:build !unix || solaris || aix || android

package snapshot

import "os"

// unlockFile does nothing here: closing f releases the lock bbolt took.
// bbolt locks with LockFileEx on Windows (released when the handle
// closes) and with fcntl on Solaris, illumos, AIX and Android (a
// process's fcntl locks on a file go with the first close of any of its
// descriptors of it, whatever maps it), not with flock, so there is no
// flock to release.
func unlockFile(*os.File) {}
