package offsite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/durable"
)

// fileBackend keeps objects as files under dir, in the same layout as a
// bucket. A Put writes a temporary file, fsyncs it, renames it into place
// and fsyncs the directory, so a crash never leaves a half object under
// its name. Every directory it creates and every object it removes is
// made durable by an fsync of the parent directory: prune deletes in an
// order (packs only after the index that no longer lists them) that a
// crash must not reorder.
type fileBackend struct{ dir string }

var _ Backend = (*fileBackend)(nil)

func (b *fileBackend) path(name string) (string, error) {
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: object name %q", ErrInvalid, name)
	}
	return filepath.Join(b.dir, filepath.FromSlash(name)), nil
}

func (b *fileBackend) Put(ctx context.Context, name string, data []byte) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	tmp, err := writeTemp(dir, data)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("write %s: %w", name, err)
	}
	return syncDir(dir)
}

// writeTemp writes data, synced, to a new temporary file in dir (made
// first, durably) and returns its path; on an error after the file was
// made it removes it and returns "".
func writeTemp(dir string, data []byte) (string, error) {
	if err := mkdirAllSync(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Create writes data to a temporary file and links it under name: a link
// fails when the name exists, so of two creates one fails, and the name
// never shows a half-written file. On a file system without hard links it
// creates the file with O_EXCL, which is as exclusive (a crash may then
// leave a partial file, which reads as a damaged key).
func (b *fileBackend) Create(ctx context.Context, name string, data []byte) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp)
	switch err := os.Link(tmp, p); {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", name, ErrExist)
	case err != nil:
		if err := createExcl(p, data); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return syncDir(dir)
}

func createExcl(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ErrExist
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirAllSync is os.MkdirAll that fsyncs the parent of each directory
// it creates, so the new entry survives a crash.
func mkdirAllSync(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory", dir)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSync(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// syncDir fsyncs a directory; a variable so tests can see the calls.
var syncDir = durable.SyncDir

func notExist(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return err
}

func (b *fileBackend) Get(ctx context.Context, name string) ([]byte, error) {
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	return data, notExist(name, err)
}

func (b *fileBackend) GetLimited(ctx context.Context, name string, max int64) ([]byte, error) {
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notExist(name, err)
	}
	defer f.Close()
	return readLimited(f, name, max)
}

func (b *fileBackend) GetRange(ctx context.Context, name string, off, n int64) ([]byte, error) {
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notExist(name, err)
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF)) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%w: %s is shorter than %d", ErrCorrupt, name, off+n)
	}
	return buf, nil
}

func (b *fileBackend) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	dir := filepath.Join(b.dir, filepath.FromSlash(prefix[:strings.LastIndex(prefix, "/")+1]))
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(b.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		return fn(ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()})
	})
	return err
}

func (b *fileBackend) Delete(ctx context.Context, name string) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(filepath.Dir(p))
}

func (b *fileBackend) Stat(ctx context.Context, name string) (ObjectInfo, error) {
	p, err := b.path(name)
	if err != nil {
		return ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return ObjectInfo{}, notExist(name, err)
	}
	return ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// NewFileBackend returns the backend of a file:// target at dir.
func NewFileBackend(dir string) Backend { return &fileBackend{dir: dir} }

// tempRemover is a Backend whose writes can leave temporary files behind.
type tempRemover interface {
	// RemoveTemps removes the temporary files last modified before
	// olderThan and returns how many and their bytes.
	RemoveTemps(ctx context.Context, olderThan time.Time) (int, int64, error)
}

// RemoveTemps removes the .tmp-* files a write killed between writeTemp
// and its rename left (List never shows them), once older than olderThan:
// no write still running is that old.
func (b *fileBackend) RemoveTemps(ctx context.Context, olderThan time.Time) (n int, size int64, err error) {
	err = filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(olderThan) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		size += fi.Size()
		return nil
	})
	return n, size, err
}
