package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/durable"
	"go.etcd.io/bbolt"
)

// openSwapSafe opens the bbolt file at path, making sure that the file it
// locked is still the one at path: a compaction swaps a new file in by
// rename, and an opener that was waiting for the lock of the old file must
// not write into it. It tries again while the file changes under it, until
// the timeout.
// initialMmap is the size bbolt maps a database at first (see
// openSwapSafe). Not on Windows, where bbolt grows the file to the size
// of its map.
var initialMmap = map[bool]int{true: 0, false: 1 << 30}[runtime.GOOS == "windows"]

func openSwapSafe(path string, opts Options) (*bbolt.DB, error) {
	deadline := time.Now().Add(opts.Timeout)
	for {
		before, statErr := os.Stat(path)
		b, err := openBolt(path, &bbolt.Options{
			Timeout:        max(time.Until(deadline), time.Millisecond),
			ReadOnly:       opts.ReadOnly,
			NoSync:         opts.NoSync,
			NoFreelistSync: false,
			FreelistType:   bbolt.FreelistMapType,
			// Address space, not memory: without it bbolt maps the file
			// again each time it outgrows the map (doubling up to 1 GiB),
			// copying every node the write holds to the heap and waiting
			// for every reader.
			InitialMmapSize: initialMmap,
		})
		if err != nil {
			return nil, err
		}
		after, err := os.Stat(path)
		if err == nil && (statErr != nil || os.SameFile(before, after)) {
			// statErr: the file did not exist and bbolt created it; nothing to swap.
			return b, nil
		}
		_ = b.Close()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the database file kept being replaced while opening it")
		}
	}
}

// openBolt is bbolt.Open that gives back the file it opened when it
// panics (on a page it cannot read: a damaged freelist), then panics on:
// bbolt closes the file only on the errors it returns, so the descriptor
// stayed open with its lock held, and every later Open in the process
// waited out its timeout and reported the database locked. The lock is
// released explicitly: bbolt's map of the file (which this cannot reach)
// holds the open file, and the lock with it, past the close.
func openBolt(path string, o *bbolt.Options) (_ *bbolt.DB, err error) {
	var f *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	defer func() {
		if p := recover(); p != nil {
			if f != nil {
				unlockFile(f)
				_ = f.Close()
			}
			panic(p)
		}
	}()
	return bbolt.Open(path, 0o600, o)
}

// CompactStats are the file sizes before and after a compaction, and how
// much of the new file its pages take (InUse): bbolt grows a file in steps,
// so the new file can be larger than its pages, and larger than the old file
// when that one had no free room to give back.
type CompactStats struct {
	Before, After, InUse int64
}

// removeStaleCompactions removes the copies that killed compactions left
// next to the database. The caller holds the database's write lock, so no
// compaction is running.
func removeStaleCompactions(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), filepath.Base(path)+".compact-*"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
}

// CompactAndClose writes a copy of the database without its free pages
// into a new file next to it, syncs it, moves it over the database with a
// rename, syncs the directory, and closes db. A process killed at any
// moment leaves the old file whole (and at worst a "*.compact-*" file,
// removed by the next read-write Open). The caller holds the only handle: db
// is read-write, so no other process has the file open.
func (db *DB) CompactAndClose() (CompactStats, error) {
	var st CompactStats
	if db.opts.ReadOnly {
		return st, ErrReadOnly
	}
	fi, err := os.Stat(db.path)
	if err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	st.Before = fi.Size()
	dir, base := filepath.Dir(db.path), filepath.Base(db.path)
	removeStaleCompactions(db.path)
	tmp, err := os.CreateTemp(dir, base+".compact-*")
	if err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmpPath)
		}
	}()
	dst, err := bbolt.Open(tmpPath, 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return st, fmt.Errorf("compact: open the new file: %w", err)
	}
	db.gc.Lock() // nothing of this process writes meanwhile
	err = bbolt.Compact(dst, db.bolt, 64<<20)
	db.gc.Unlock()
	if err == nil {
		err = dst.Sync()
	}
	if err == nil {
		err = dst.View(func(tx *bbolt.Tx) error { st.InUse = tx.Size(); return nil })
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("compact: copy: %w", err)
	}
	if err := os.Rename(tmpPath, db.path); err != nil {
		return st, fmt.Errorf("compact: move the new file in: %w", err)
	}
	committed = true
	if err := durable.SyncDir(dir); err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	if fi, err := os.Stat(db.path); err == nil {
		st.After = fi.Size()
	}
	return st, db.Close()
}
