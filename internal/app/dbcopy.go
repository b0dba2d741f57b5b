package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyDatabase writes a consistent copy of the whole database to output,
// which must not exist: a temporary file beside it, synced, made 0600 and
// renamed, then the directory synced. It returns the bytes written.
func (s *Service) CopyDatabase(output string) (int64, error) {
	db, err := s.needDB()
	if err != nil {
		return 0, err
	}
	if _, err := os.Lstat(output); err == nil {
		return 0, fmt.Errorf("%s exists: choose a new name", output)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), filepath.Base(output)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("create the copy: %w", err)
	}
	n, err := db.WriteTo(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), output)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("write the copy: %w", err)
	}
	_ = syncDir(filepath.Dir(output)) // the copy is whole; a crash may only lose its name
	return n, nil
}

// syncDir makes the names just created or renamed in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteDatabase writes a consistent copy of the whole database to w (for
// "db backup --output -", standard output), from one read transaction. It
// returns the bytes written: a copy written to a file has the same size.
func (s *Service) WriteDatabase(w io.Writer) (int64, error) {
	db, err := s.needDB()
	if err != nil {
		return 0, err
	}
	n, err := db.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("write the copy: %w", err)
	}
	return n, nil
}
