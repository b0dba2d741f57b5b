package export

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

// Read opens the export at path (a directory or a .tar.gz file, as Writer
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

// readTarExport reads a .tar.gz export in two streaming passes over the file.
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

// walkTar streams the archive at p and calls visit for every regular file
// with its cleaned name. Directories "." and "items" and global headers
// are skipped; any other entry type is an error. Nothing is written.
func walkTar(p string, visit func(name string, r io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s is not a .tar.gz file: %w", ErrCorruptExport, filepath.Base(p), err)
	}
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
	// Read to the end of the gzip stream so its checksum is verified.
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

// archiveReader marks the read errors of an archive entry as corruption.
type archiveReader struct{ r io.Reader }

func (a archiveReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: read archive: %w", ErrCorruptExport, err)
	}
	return n, err
}

// hashingReader hashes and counts what is read through it and keeps the
// first read error other than io.EOF.
type hashingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err != nil && err != io.EOF && h.err == nil {
		h.err = err
	}
	return n, err
}

// scanResult is what one pass read of a data file.
type scanResult struct {
	sha256   string
	bytes    int64
	objects  int64
	parseErr error // the first parse error; the file was still hashed to its end
}

// callbackError carries an error returned by the caller's function.
type callbackError struct{ err error }

func (c callbackError) Error() string { return c.err.Error() }

// scanFile hashes the data file name read from r, parses its objects and
// calls emit (if not nil) for each. A parse error stops the parsing but
// not the hashing: it is returned in the result, to be reported after the
// hash. Read errors and emit's errors are returned at once.
func scanFile(name string, r io.Reader, emit readFunc) (scanResult, error) {
	hr := &hashingReader{r: r, h: sha256.New()}
	kind, parent, ext, _ := splitPath(name)
	var res scanResult
	value := func(raw []byte) error {
		res.objects++
		p, key, obj, err := decodeValue(kind, parent, raw)
		if err != nil || emit == nil {
			return err
		}
		if err := emit(kind, p, key, obj); err != nil {
			return callbackError{err}
		}
		return nil
	}
	var perr error
	switch ext {
	case FormatNDJSON:
		perr = scanLines(hr, value)
	case FormatJSON:
		perr = scanArray(hr, value)
	}
	if hr.err == nil {
		_, _ = io.Copy(io.Discard, hr)
	}
	if hr.err != nil {
		return scanResult{}, fmt.Errorf("read %s: %w", name, hr.err)
	}
	var cb callbackError
	if errors.As(perr, &cb) {
		return scanResult{}, fmt.Errorf("%s: %w", name, cb.err)
	}
	res.sha256, res.bytes, res.parseErr = hex.EncodeToString(hr.h.Sum(nil)), hr.n, perr
	return res, nil
}

// decodeValue splits one value of a data file into what Read's caller gets.
func decodeValue(kind, parent string, raw []byte) (p, key string, obj []byte, err error) {
	if kind == ItemsKind {
		if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return "", "", nil, errors.New("item is not a JSON object")
		}
		var it struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			return "", "", nil, err
		}
		switch {
		case len(it.ID) > 0 && it.ID[0] == '"':
			err = json.Unmarshal(it.ID, &key)
		case len(it.ID) > 0 && (it.ID[0] == '-' || it.ID[0] >= '0' && it.ID[0] <= '9'):
			key = string(it.ID)
		default:
			err = errors.New("item has no number or string id")
		}
		return parent, key, raw, err
	}
	var w struct {
		Parent string          `json:"parent"`
		Key    *string         `json:"key"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return "", "", nil, err
	}
	if w.Key == nil || len(w.Object) == 0 {
		return "", "", nil, errors.New("value lacks key or object")
	}
	return w.Parent, *w.Key, w.Object, nil
}

// scanLines calls value for every line of an ndjson file.
func scanLines(r io.Reader, value func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxObjectBytes)), maxObjectBytes)
	line := 0
	for sc.Scan() {
		line++
		if err := value(sc.Bytes()); err != nil {
			return lineError("line", line, err)
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("line %d: longer than %d bytes", line+1, maxObjectBytes)
	}
	return sc.Err()
}

func lineError(what string, n int, err error) error {
	if _, ok := err.(callbackError); ok {
		return err
	}
	return fmt.Errorf("%s %d: %w", what, n, err)
}

// scanArray calls value for every element of a file holding one JSON
// array, without holding more than one element.
func scanArray(r io.Reader, value func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	c, err := skipSpace(br)
	if err != nil || c != '[' {
		return errors.New("not a JSON array")
	}
	var elem []byte
	for n := 1; ; n++ {
		c, err = skipSpace(br)
		if err != nil {
			return errors.New("unexpected end of array")
		}
		if c == ']' && n == 1 {
			break
		}
		_ = br.UnreadByte()
		var end byte
		elem, end, err = readElement(br, elem[:0])
		if err == nil {
			err = value(elem)
		}
		if err != nil {
			return lineError("element", n, err)
		}
		if end == ']' {
			break
		}
	}
	if _, err := skipSpace(br); err != io.EOF {
		return errors.New("data after the array")
	}
	return nil
}

func skipSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil || (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			return c, err
		}
	}
}

// readElement appends one array element to buf up to the ',' or ']' that
// ends it at depth 0 outside strings, and returns that byte.
func readElement(br *bufio.Reader, buf []byte) ([]byte, byte, error) {
	depth, inString, escaped := 0, false, false
	for {
		c, err := br.ReadByte()
		if err != nil {
			return buf, 0, errors.New("unexpected end of array")
		}
		switch {
		case inString:
			inString = escaped || c != '"'
			escaped = !escaped && c == '\\'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case (c == ',' || c == ']') && depth == 0:
			buf = bytes.TrimRight(buf, " \t\r\n")
			if len(buf) == 0 {
				return buf, 0, errors.New("empty element")
			}
			return buf, c, nil
		case c == '}' || c == ']':
			if depth--; depth < 0 {
				return buf, 0, errors.New("unbalanced brackets")
			}
		}
		if len(buf) >= maxObjectBytes {
			return buf, 0, fmt.Errorf("longer than %d bytes", maxObjectBytes)
		}
		buf = append(buf, c)
	}
}
