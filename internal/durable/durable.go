// Package durable holds the two file-system steps that make a new file's
// name survive a crash, shared by the store, the export, the offsite
// file backend and the program's database copies: syncing a directory
// after a name in it changed, and giving a finished temporary file its
// final name without replacing a file that appeared there meanwhile.
package durable

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SyncDir makes the names just created, renamed or removed in dir
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s for sync: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// LinkNew gives the finished file tmp the name to without replacing a
// file that appeared there meanwhile: a hard link fails when to exists,
// where a rename would replace it (an error wrapping fs.ErrExist). On a
// file system without hard links it checks again and renames. tmp is
// gone after a success, and the directory of to is synced.
func LinkNew(tmp, to string) error {
	switch err := os.Link(tmp, to); {
	case err == nil:
		if err := os.Remove(tmp); err != nil {
			return err
		}
	case errors.Is(err, fs.ErrExist):
		return err
	default:
		if _, err := os.Lstat(to); err == nil {
			return fmt.Errorf("%s: %w", to, fs.ErrExist)
		}
		if err := os.Rename(tmp, to); err != nil {
			return err
		}
	}
	return SyncDir(filepath.Dir(to))
}
