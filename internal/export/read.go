package export

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Sentinel errors returned by Read.
var (
	// ErrCorruptExport is returned when an export does not match its
	// manifest, or a file or the archive cannot be parsed.
	ErrCorruptExport = errors.New("export: corrupt export")
	// ErrUnsupportedExport is returned for an export Read cannot deliver:
	// a newer format_version, csv item files, or a path that is neither a
	// directory nor a regular file.
	ErrUnsupportedExport = errors.New("export: unsupported export")
)

// maxObjectBytes bounds one ndjson line, one json array element and the
// manifest; a variable so tests can lower it.
var maxObjectBytes = 64 << 20

// maxArchiveFiles bounds the entries of an archive Read accepts.
const maxArchiveFiles = 100_000

// readFunc receives one object of an export.
type readFunc = func(kind, parent, key string, raw []byte) error

// Read opens the export at path (a directory, a .tar.gz or a .tar.zst file, as Writer
// writes them), checks it against its manifest, and calls fn for every
// object in it, kind by kind in manifest order. For <kind>.ndjson and
// <kind>.json files fn gets the line's parent, key and object; for
// items/<type>.ndjson|json it gets kind "items", parent = the type slug,
// key = the item's "id" as text (number digits or string contents), raw =
// the item object. raw must not be kept after fn returns. fn may be nil
// to only verify the export.
//
// Read makes two passes: the first hashes and parses every file and
// compares it with the manifest without calling fn, so fn never sees the
// objects of an export that fails its checks; the second calls fn and
// hashes again. An archive is read twice as a stream and never extracted;
// its data files must come in manifest order, as Writer writes them (the
// manifest itself may be anywhere). Memory stays within one object.
func Read(path string, fn func(kind, parent, key string, raw []byte) error) (*Manifest, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	switch {
	case fi.IsDir():
		return readDirExport(path, fn)
	case fi.Mode().IsRegular():
		return readTarExport(path, fn)
	}
	return nil, fmt.Errorf("%w: %s is neither a directory nor a file", ErrUnsupportedExport, path)
}

// parseManifest decodes and checks manifest.json: format version, csv
// item files, paths, hashes and counts.
func parseManifest(body []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorruptExport, ManifestName, err)
	}
	if m.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%w: format_version %d is newer than %d, the newest this version reads; use a newer enspace-sync",
			ErrUnsupportedExport, m.FormatVersion, FormatVersion)
	}
	if m.FormatVersion < 1 {
		return nil, fmt.Errorf("%w: %s: format_version %d", ErrCorruptExport, ManifestName, m.FormatVersion)
	}
	seen := make(map[string]bool, len(m.Files))
	sums := map[string]int64{}
	for _, e := range m.Files {
		kind, _, ext, ok := splitPath(e.Path)
		if !ok {
			return nil, fmt.Errorf("%w: %s lists an invalid path %q", ErrCorruptExport, ManifestName, e.Path)
		}
		if ext == FormatCSV {
			return nil, fmt.Errorf("%w: %s is csv: a restore needs an ndjson or json export (csv loses value types)", ErrUnsupportedExport, e.Path)
		}
		if seen[e.Path] {
			return nil, fmt.Errorf("%w: %s lists %s twice", ErrCorruptExport, ManifestName, e.Path)
		}
		seen[e.Path] = true
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 || e.Bytes < 0 || e.Objects < 0 {
			return nil, fmt.Errorf("%w: %s: invalid entry for %s", ErrCorruptExport, ManifestName, e.Path)
		}
		sums[kind] += e.Objects
	}
	for kind, n := range sums {
		if m.Counts[kind] != n {
			return nil, fmt.Errorf("%w: %s: counts[%s] = %d, its files hold %d", ErrCorruptExport, ManifestName, kind, m.Counts[kind], n)
		}
	}
	for kind, n := range m.Counts {
		if sums[kind] != n {
			return nil, fmt.Errorf("%w: %s: counts[%s] = %d, its files hold %d", ErrCorruptExport, ManifestName, kind, n, sums[kind])
		}
	}
	return &m, nil
}

// splitPath parses the path of a data file: "<kind>.<ndjson|json>" or
// "items/<type>.<ndjson|json|csv>".
func splitPath(p string) (kind, parent, ext string, ok bool) {
	dir, file := path.Split(p)
	ext = path.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	ext = strings.TrimPrefix(ext, ".")
	if !validName(stem) {
		return "", "", "", false
	}
	switch {
	case dir == "" && stem != ItemsKind && (ext == FormatNDJSON || ext == FormatJSON):
		return stem, "", ext, true
	case dir == ItemsKind+"/" && (ext == FormatNDJSON || ext == FormatJSON || ext == FormatCSV):
		return ItemsKind, stem, ext, true
	}
	return "", "", "", false
}

// compare checks what a pass read of one file against its manifest entry.
func compare(e FileEntry, res scanResult) error {
	switch {
	case res.bytes != e.Bytes:
		return fmt.Errorf("%w: %s: %d bytes, the manifest says %d", ErrCorruptExport, e.Path, res.bytes, e.Bytes)
	case !strings.EqualFold(res.sha256, e.SHA256):
		return fmt.Errorf("%w: %s: sha256 does not match the manifest", ErrCorruptExport, e.Path)
	case res.parseErr != nil:
		return fmt.Errorf("%w: %s: %w", ErrCorruptExport, e.Path, res.parseErr)
	case res.objects != e.Objects:
		return fmt.Errorf("%w: %s: %d objects, the manifest says %d", ErrCorruptExport, e.Path, res.objects, e.Objects)
	}
	return nil
}

func readManifestBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, int64(maxObjectBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrCorruptExport, ManifestName, err)
	}
	if len(body) > maxObjectBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorruptExport, ManifestName, maxObjectBytes)
	}
	return body, nil
}
