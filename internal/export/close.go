package export

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/durable"
)

// ManifestName is the name of the manifest file, written last.
const ManifestName = "manifest.json"

// FormatVersion is the manifest's format_version.
const FormatVersion = 1

// Manifest is the content of manifest.json.
type Manifest struct {
	FormatVersion int              `json:"format_version"`
	Workspace     string           `json:"workspace"`
	Environment   string           `json:"environment"`
	Source        string           `json:"source"`
	CreatedAt     string           `json:"created_at"`
	Counts        map[string]int64 `json:"counts"`
	Files         []FileEntry      `json:"files"`
}

// FileEntry describes one file of the export in the manifest.
type FileEntry struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Bytes   int64  `json:"bytes"`
	Objects int64  `json:"objects"`
}

// Close finishes every file, writes the manifest, syncs, and moves the
// export under its final name (or streams the archive). On error the
// temporary output is removed and nothing exists under the final name.
func (w *Writer) Close() (Stats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return Stats{}, ErrClosed
	}
	w.done = true
	st, err := w.finish()
	if err != nil {
		w.cleanup()
		return Stats{}, err
	}
	if w.mode != modeDir {
		if err := os.RemoveAll(w.staging); err != nil {
			return st, fmt.Errorf("remove staging directory: %w", err)
		}
	}
	return st, nil
}

// Abort discards the export: the temporary output is removed and nothing
// is left under the final name. It is a no-op after Close or Abort.
func (w *Writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	return w.cleanup()
}

func (w *Writer) cleanup() error {
	for _, f := range w.files {
		f.discard()
	}
	var errs []error
	if w.staging != "" {
		errs = append(errs, os.RemoveAll(w.staging))
	}
	if w.tmp != "" && w.tmp != w.staging {
		errs = append(errs, os.RemoveAll(w.tmp))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove temporary output: %w", err)
	}
	return nil
}

func (w *Writer) finish() (Stats, error) {
	m := Manifest{
		FormatVersion: FormatVersion,
		Workspace:     w.opts.Workspace,
		Environment:   w.opts.Environment,
		Source:        w.opts.Source,
		CreatedAt:     w.opts.Now().UTC().Format(time.RFC3339),
		Counts:        map[string]int64{},
		Files:         []FileEntry{},
	}
	var st Stats
	for _, f := range w.files {
		if err := f.finish(); err != nil {
			return Stats{}, err
		}
		e := f.entry()
		m.Files = append(m.Files, e)
		m.Counts[f.kind] += e.Objects
		st.Files++
		st.Objects += e.Objects
		st.Bytes += e.Bytes
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Stats{}, fmt.Errorf("encode manifest: %w", err)
	}
	body = append(body, '\n')
	if err := writeSynced(filepath.Join(w.staging, ManifestName), body, w.opts.fileMode()); err != nil {
		return Stats{}, err
	}
	st.Files++
	st.Bytes += int64(len(body))
	if err := durable.SyncDir(filepath.Join(w.staging, ItemsKind)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Stats{}, err
	}
	if err := durable.SyncDir(w.staging); err != nil {
		return Stats{}, err
	}
	paths := make([]string, 0, len(m.Files)+1)
	for _, e := range m.Files {
		paths = append(paths, e.Path)
	}
	paths = append(paths, ManifestName)
	modTime := w.opts.Now().UTC().Truncate(time.Second)
	switch w.mode {
	case modeDir:
		return st, w.publish()
	case modeTarFile:
		if err := w.writeTarFile(paths, modTime); err != nil {
			return Stats{}, err
		}
		return st, w.publish()
	default:
		return st, w.writeTar(w.stream, paths, modTime)
	}
}

// publish moves the temporary output under the final name and syncs the
// parent directory.
func (w *Writer) publish() error {
	if err := refuseExisting(w.final); err != nil {
		return err
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return durable.SyncDir(filepath.Dir(w.final))
}

func (w *Writer) writeTarFile(paths []string, modTime time.Time) error {
	f, err := os.OpenFile(w.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, w.opts.fileMode())
	if err != nil {
		return fmt.Errorf("create archive: %w", err)
	}
	err = w.writeTar(f, paths, modTime)
	if err == nil {
		if serr := f.Sync(); serr != nil {
			err = fmt.Errorf("sync archive: %w", serr)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close archive: %w", cerr)
	}
	return err
}

// writeTar writes the archive: the staged files, in the given order, are
// already compressed; between them go the tar headers and padding, each
// run compressed as one more block. The concatenated blocks are one valid
// compressed tar stream.
func (w *Writer) writeTar(out io.Writer, paths []string, modTime time.Time) error {
	var plain bytes.Buffer // tar bytes waiting to be compressed
	flush := func() error {
		if plain.Len() == 0 {
			return nil
		}
		b, err := compressBlock(w.compress, plain.Bytes())
		if err != nil {
			return fmt.Errorf("compress archive: %w", err)
		}
		plain.Reset()
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("write archive: %w", err)
		}
		return nil
	}
	header := func(hdr *tar.Header) error {
		// A fresh tar.Writer per header: WriteHeader writes the header
		// blocks at once; the data is copied around it.
		if err := tar.NewWriter(&plain).WriteHeader(hdr); err != nil {
			return fmt.Errorf("write archive header of %s: %w", hdr.Name, err)
		}
		return nil
	}
	dirDone := false
	for _, p := range paths {
		if filepath.ToSlash(filepath.Dir(p)) == ItemsKind && !dirDone {
			dirDone = true
			if err := header(&tar.Header{Typeflag: tar.TypeDir, Name: ItemsKind + "/", Mode: int64(w.opts.dirMode()), ModTime: modTime, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		full := filepath.Join(w.staging, filepath.FromSlash(p))
		f, staged := w.files[p]
		var size int64
		if staged {
			size = f.hf.n
		} else { // the manifest, written plain
			fi, err := os.Stat(full)
			if err != nil {
				return fmt.Errorf("stat staged %s: %w", p, err)
			}
			size = fi.Size()
		}
		if err := header(&tar.Header{Typeflag: tar.TypeReg, Name: p, Size: size, Mode: int64(w.opts.fileMode()), ModTime: modTime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if staged {
			if err := flush(); err != nil {
				return err
			}
			if err := copyFile(out, full, p); err != nil {
				return err
			}
		} else {
			body, err := os.ReadFile(full)
			if err != nil {
				return fmt.Errorf("read staged %s: %w", p, err)
			}
			plain.Write(body)
		}
		plain.Write(make([]byte, (512-size%512)%512))
	}
	plain.Write(make([]byte, 1024)) // end of archive
	return flush()
}

func copyFile(out io.Writer, full, name string) error {
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("open staged %s: %w", name, err)
	}
	defer f.Close()
	if _, err := io.Copy(out, f); err != nil {
		return fmt.Errorf("write %s to archive: %w", name, err)
	}
	return nil
}

func writeSynced(name string, body []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(name), err)
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	return nil
}
