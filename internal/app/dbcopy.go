package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/enspace-sync/enspace-sync/internal/durable"
)

// CopyDatabase writes a consistent copy of the whole database to output,
// which must not exist: a temporary file beside it, synced, made 0600 and
// linked into place (never replacing a file that appeared meanwhile),
// then the directory synced. It returns the bytes written.
func (s *Service) CopyDatabase(output string) (int64, error) {
	db, err := s.needDB()
	if err != nil {
		return 0, err
	}
	if _, err := os.Lstat(output); err == nil {
		return 0, outputExists(output, "db backup")
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), filepath.Base(output)+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name is none of the user's business
		}
		if errors.Is(err, fs.ErrNotExist) {
			return 0, absentf("create the directory first, or choose another --output", "cannot write %s: the directory %s does not exist", output, filepath.Dir(output))
		}
		return 0, fmt.Errorf("cannot write %s in %s: %w", output, filepath.Dir(output), err)
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
	if err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("write the copy: %w", err)
	}
	if err := durable.LinkNew(tmp.Name(), output); err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, fs.ErrExist) {
			return 0, inputf("choose a new name, or move the other file away", "%s appeared while the copy was written: db backup replaces nothing", output)
		}
		return 0, fmt.Errorf("write the copy: %w", err)
	}
	return n, nil
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
