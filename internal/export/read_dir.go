package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// readDirExport reads a directory export. Files are opened through an os.Root,
// so no name or link inside it can reach outside.
func readDirExport(dir string, fn readFunc) (*Manifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	defer root.Close()
	f, err := openRegular(root, ManifestName)
	if err != nil {
		return nil, err
	}
	body, err := readManifestBody(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(body)
	if err != nil {
		return nil, err
	}
	if err := checkListing(root, m); err != nil {
		return nil, err
	}
	passes := []readFunc{nil}
	if fn != nil {
		passes = append(passes, fn)
	}
	for _, emit := range passes {
		for _, e := range m.Files {
			if err := readDirFile(root, e, emit); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func readDirFile(root *os.Root, e FileEntry, emit readFunc) error {
	f, err := openRegular(root, e.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := scanFile(e.Path, f, emit)
	if err != nil {
		return err
	}
	return compare(e, res)
}

func openRegular(root *os.Root, name string) (*os.File, error) {
	f, err := root.Open(filepath.FromSlash(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing", ErrCorruptExport, name)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s is not a regular file", ErrCorruptExport, name)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkListing compares the directory's files with the manifest's.
func checkListing(root *os.Root, m *Manifest) error {
	listed := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		listed[e.Path] = true
	}
	present := map[string]bool{}
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return fmt.Errorf("list export: %w", err)
		case d.IsDir() && (p == "." || p == ItemsKind):
			return nil
		case d.IsDir():
			return fmt.Errorf("%w: unexpected directory %q", ErrCorruptExport, p)
		case !d.Type().IsRegular():
			return fmt.Errorf("%w: %q is not a regular file", ErrCorruptExport, p)
		case p == ManifestName:
			return nil
		case !listed[p]:
			return fmt.Errorf("%w: %q is not listed in the manifest", ErrCorruptExport, p)
		}
		present[p] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range m.Files {
		if !present[e.Path] {
			return fmt.Errorf("%w: %s is listed in the manifest but missing", ErrCorruptExport, e.Path)
		}
	}
	return nil
}
