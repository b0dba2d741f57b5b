package export

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// readTarExport reads a .tar.gz or .tar.zst export in two streaming passes over the file.
func readTarExport(p string, fn readFunc) (*Manifest, error) {
	var body []byte
	var order []string
	var extra string
	results := map[string]scanResult{}
	err := walkTar(p, func(name string, r io.Reader) error {
		if name == ManifestName {
			if body != nil {
				return fmt.Errorf("%w: %s appears twice", ErrCorruptExport, name)
			}
			var err error
			body, err = readManifestBody(r)
			return err
		}
		if _, dup := results[name]; dup {
			return fmt.Errorf("%w: %q appears twice in the archive", ErrCorruptExport, name)
		}
		if len(results) >= maxArchiveFiles {
			return fmt.Errorf("%w: the archive holds more than %d files", ErrCorruptExport, maxArchiveFiles)
		}
		if _, _, _, ok := splitPath(name); !ok {
			if extra == "" {
				extra = name
			}
			return nil
		}
		res, err := scanFile(name, r, nil)
		results[name] = res
		order = append(order, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, fmt.Errorf("%w: no %s in the archive", ErrCorruptExport, ManifestName)
	}
	m, err := parseManifest(body)
	if err != nil {
		return nil, err
	}
	if extra != "" {
		return nil, fmt.Errorf("%w: %q is not listed in the manifest", ErrCorruptExport, extra)
	}
	if err := checkTarListing(m, order, results); err != nil {
		return nil, err
	}
	if fn == nil {
		return m, nil
	}
	i := 0
	err = walkTar(p, func(name string, r io.Reader) error {
		if name == ManifestName {
			return nil
		}
		if i >= len(m.Files) || m.Files[i].Path != name {
			return fmt.Errorf("%w: %q changed while being read", ErrCorruptExport, name)
		}
		e := m.Files[i]
		i++
		res, err := scanFile(name, r, fn)
		if err != nil {
			return err
		}
		return compare(e, res)
	})
	if err != nil {
		return nil, err
	}
	if i != len(m.Files) {
		return nil, fmt.Errorf("%w: archive changed while being read", ErrCorruptExport)
	}
	return m, nil
}

// checkTarListing compares the archive's data files, in archive order,
// with the manifest, then each file with its entry.
func checkTarListing(m *Manifest, order []string, results map[string]scanResult) error {
	listed := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		listed[e.Path] = true
		if _, ok := results[e.Path]; !ok {
			return fmt.Errorf("%w: %s is listed in the manifest but missing", ErrCorruptExport, e.Path)
		}
	}
	for i, name := range order {
		if !listed[name] {
			return fmt.Errorf("%w: %q is not listed in the manifest", ErrCorruptExport, name)
		}
		if m.Files[i].Path != name {
			return fmt.Errorf("%w: %s is out of manifest order in the archive", ErrCorruptExport, name)
		}
	}
	for _, e := range m.Files {
		if err := compare(e, results[e.Path]); err != nil {
			return err
		}
	}
	return nil
}

// decompressor reads f as gzip or zstd, told apart by their magic
// numbers, not by the file's name.
func decompressor(f *os.File) (io.ReadCloser, error) {
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		// The window bounds the decoder's memory whatever a damaged or
		// hostile frame claims; this package writes 256 KiB blocks, and
		// zstd's own levels use at most 8 MiB.
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(16<<20))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return gzip.NewReader(br)
}

// walkTar streams the archive at p and calls visit for every regular file
// with its cleaned name. Directories "." and "items" and global headers
// are skipped; any other entry type is an error. Nothing is written.
func walkTar(p string, visit func(name string, r io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	gz, err := decompressor(f)
	if err != nil {
		return fmt.Errorf("%w: %s is not a .tar.gz file (nor a .tar.zst one): %w", ErrCorruptExport, filepath.Base(p), err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: read archive: %w", ErrCorruptExport, err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir:
			if d := strings.TrimSuffix(name, "/"); d == "" || d == "." || d == ItemsKind {
				continue
			}
			return fmt.Errorf("%w: unexpected directory %q in the archive", ErrCorruptExport, h.Name)
		case tar.TypeReg:
			if isSparse(h) {
				return fmt.Errorf("%w: %q is a sparse file", ErrCorruptExport, h.Name)
			}
			if err := visit(name, archiveReader{tr}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %q is not a regular file", ErrCorruptExport, h.Name)
		}
	}
	// Read to the end of the compressed stream so its checksums are verified.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("%w: read archive: %w", ErrCorruptExport, err)
	}
	return nil
}

// isSparse reports whether h describes a PAX sparse file, whose holes
// the tar reader would fill with as many zeros as the header claims.
func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
