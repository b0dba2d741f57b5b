package export

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Sentinel errors returned by this package.
var (
	// ErrExists is returned when the final output path already exists.
	ErrExists = errors.New("export: output path already exists")
	// ErrClosed is returned by Put, SetFields and Close after Close or Abort.
	ErrClosed = errors.New("export: writer closed")
	// ErrBadName is returned for a kind or type slug that is not a safe file name.
	ErrBadName = errors.New("export: invalid kind or type name")
	// ErrBadObject is returned for object bytes that are not valid JSON, or
	// an item that is not a JSON object.
	ErrBadObject = errors.New("export: invalid object")
	// ErrNoFields is returned in csv format for an item whose type has no
	// field order set with SetFields.
	ErrNoFields = errors.New("export: no csv fields for type")
	// ErrFieldsLate is returned by SetFields once the type's csv file has
	// been started.
	ErrFieldsLate = errors.New("export: csv fields set after first item")
	// ErrBadFormat is returned for an unknown Options.Format.
	ErrBadFormat = errors.New("export: unknown format")
)

// ItemsKind is the kind whose objects go to one file per type under items/.
const ItemsKind = kind.Items

// Formats accepted in Options.Format.
const (
	FormatNDJSON = "ndjson"
	FormatJSON   = "json"
	FormatCSV    = "csv"
)

// Options configures a Writer.
type Options struct {
	// Format is ndjson (also when empty), json or csv.
	Format string
	// Workspace and Environment are recorded in the manifest.
	Workspace, Environment string
	// Source is the snapshot id exported; empty means "live".
	Source string
	// Now gives created_at; nil means time.Now.
	Now func() time.Time
	// Mode is the permission of the files written (and, in an archive, of
	// its entries); 0 means 0600: an export holds what the database holds,
	// and the database is private. Directories get the execute bits of the
	// read bits (0600 gives 0700, 0640 gives 0750).
	Mode os.FileMode
}

// DefaultMode is the files' permission when Options.Mode is 0.
const DefaultMode os.FileMode = 0o600

// ParseMode reads a files' permission written in octal, such as 0640.
func ParseMode(s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n == 0 || n&^0o777 != 0 {
		return 0, fmt.Errorf("want an octal permission such as 0640, not %q", s)
	}
	return os.FileMode(n), nil
}

func (o Options) fileMode() os.FileMode {
	if o.Mode == 0 {
		return DefaultMode
	}
	return o.Mode & os.ModePerm
}

func (o Options) dirMode() os.FileMode {
	m := o.fileMode()
	return m | (m&0o444)>>2
}

// Stats sums up a finished export.
type Stats struct {
	// Files counts the files written, the manifest included.
	Files int
	// Objects counts the objects written.
	Objects int64
	// Bytes sums the sizes of the files written, the manifest included
	// (uncompressed sizes for archives).
	Bytes int64
}

type mode int

const (
	modeDir mode = iota
	modeTarFile
	modeTarStream
)

// Writer writes one export. Create it with NewDir, NewTarGz or
// NewTarGzStream, feed it with Put, then call Close or Abort.
type Writer struct {
	mu       sync.Mutex
	opts     Options
	mode     mode
	final    string      // final path (dir and tar file modes)
	tmp      string      // temporary output: the staging dir or the tar file
	staging  string      // directory holding the files being written
	stream   io.Writer   // tar stream mode
	compress Compression // archive modes
	files    map[string]*outFile
	fields   map[string][]string
	scratch  bytes.Buffer
	done     bool
}

// NewDir starts an export into the directory path, which must not exist.
// Files are written under path+".tmp-<random>" and renamed at Close.
func NewDir(p string, opts Options) (*Writer, error) {
	return newStaged(p, opts, modeDir, "", opts.dirMode())
}

// newStaged starts a writer whose output goes to p through a temporary
// name; its files are staged in that name plus stagingSuffix.
func newStaged(p string, opts Options, m mode, stagingSuffix string, perm os.FileMode) (*Writer, error) {
	w, err := newWriter(opts, m)
	if err != nil {
		return nil, err
	}
	if err := refuseExisting(p); err != nil {
		return nil, err
	}
	suffix, err := randomSuffix()
	if err != nil {
		return nil, err
	}
	w.final, w.tmp = p, p+".tmp-"+suffix
	w.staging = w.tmp + stagingSuffix
	if err := os.Mkdir(w.staging, perm); err != nil {
		return nil, cannotWrite(p, err)
	}
	return w, nil
}

// cannotWrite is the error of an output path p whose staging file or
// directory, beside it, could not be made: it names p and its directory,
// not the temporary name the user never gave.
func cannotWrite(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot write %s: the directory %s does not exist", p, filepath.Dir(p))
	}
	return fmt.Errorf("cannot write %s in %s: %w", p, filepath.Dir(p), err)
}

// NewTarGz starts an export into the .tar.gz file path, which must not
// exist. It is NewArchive with Gzip.
func NewTarGz(p string, opts Options) (*Writer, error) {
	return NewArchive(p, Gzip, opts)
}

// NewArchive starts an export into the archive file path (a tar
// compressed with c), which must not exist. The archive is written to
// path+".tmp-<random>", synced and renamed at Close; its files are staged,
// compressed as they are written, in path+".tmp-<random>.d".
func NewArchive(p string, c Compression, opts Options) (*Writer, error) {
	w, err := newStaged(p, opts, modeTarFile, ".d", 0o700)
	if err != nil {
		return nil, err
	}
	w.compress = c
	return w, nil
}

// NewTarGzStream starts an export streamed as .tar.gz to out at Close.
// Files are staged in a directory under os.TempDir, removed afterwards.
func NewTarGzStream(out io.Writer, opts Options) (*Writer, error) {
	return NewArchiveStream(out, Gzip, opts)
}

// NewArchiveStream starts an export streamed to out at Close as a tar
// compressed with c. Files are staged in a directory under os.TempDir,
// removed afterwards.
func NewArchiveStream(out io.Writer, c Compression, opts Options) (*Writer, error) {
	w, err := newWriter(opts, modeTarStream)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "enspace-export-*")
	if err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	w.staging, w.stream, w.compress = dir, out, c
	return w, nil
}

func newWriter(opts Options, m mode) (*Writer, error) {
	switch opts.Format {
	case "":
		opts.Format = FormatNDJSON
	case FormatNDJSON, FormatJSON, FormatCSV:
	default:
		return nil, fmt.Errorf("%w: %q", ErrBadFormat, opts.Format)
	}
	if opts.Source == "" {
		opts.Source = "live"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Writer{opts: opts, mode: m, files: map[string]*outFile{}, fields: map[string][]string{}}, nil
}

func refuseExisting(p string) error {
	_, err := os.Lstat(p)
	if err == nil {
		return fmt.Errorf("%w: %s", ErrExists, p)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check output path: %w", err)
	}
	return nil
}

func randomSuffix() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random suffix: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// SetFields sets the csv column order of items of typeSlug: field slugs in
// field order. It must come before the type's first item; it is kept but
// unused in other formats.
func (w *Writer) SetFields(typeSlug string, fieldSlugs []string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return ErrClosed
	}
	if !validName(typeSlug) {
		return fmt.Errorf("%w: %q", ErrBadName, typeSlug)
	}
	if _, started := w.files[w.itemPath(typeSlug)]; started && w.opts.Format == FormatCSV {
		return fmt.Errorf("%w: %q", ErrFieldsLate, typeSlug)
	}
	w.fields[typeSlug] = append([]string(nil), fieldSlugs...)
	return nil
}

// Put writes one object. For kind "items", parent is the item's type slug
// and raw the item object; for other kinds parent is the parent's key (or
// empty) and key the object's key. Kinds and types may come in any order.
func (w *Writer) Put(kind, parent, key string, raw []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return ErrClosed
	}
	if !validName(kind) {
		return fmt.Errorf("%w: kind %q", ErrBadName, kind)
	}
	if kind == ItemsKind {
		return w.putItem(parent, raw)
	}
	w.scratch.Reset()
	if err := appendWrapped(&w.scratch, parent, key, raw); err != nil {
		return fmt.Errorf("put %s %q: %w", kind, key, err)
	}
	f, err := w.file(kind+"."+w.plainExt(), kind, w.opts.Format == FormatJSON, nil)
	if err != nil {
		return err
	}
	return f.writeValue(w.scratch.Bytes())
}

func (w *Writer) putItem(typeSlug string, raw []byte) error {
	if !validName(typeSlug) {
		return fmt.Errorf("%w: type %q", ErrBadName, typeSlug)
	}
	name := w.itemPath(typeSlug)
	if w.opts.Format == FormatCSV {
		cols, ok := w.fields[typeSlug]
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoFields, typeSlug)
		}
		f, err := w.file(name, ItemsKind, false, cols)
		if err != nil {
			return err
		}
		return f.writeItemRow(raw)
	}
	w.scratch.Reset()
	if err := compactObject(&w.scratch, raw); err != nil {
		return fmt.Errorf("put item of %q: %w", typeSlug, err)
	}
	if w.scratch.Bytes()[0] != '{' {
		return fmt.Errorf("put item of %q: %w: not a JSON object", typeSlug, ErrBadObject)
	}
	f, err := w.file(name, ItemsKind, w.opts.Format == FormatJSON, nil)
	if err != nil {
		return err
	}
	return f.writeValue(w.scratch.Bytes())
}

func (w *Writer) itemPath(typeSlug string) string {
	ext := w.opts.Format
	return path.Join(ItemsKind, typeSlug+"."+ext)
}

// plainExt is the suffix of files other than item files: csv mode keeps
// them as ndjson.
func (w *Writer) plainExt() string {
	if w.opts.Format == FormatJSON {
		return FormatJSON
	}
	return FormatNDJSON
}

func (w *Writer) file(name, kind string, array bool, csvCols []string) (*outFile, error) {
	if f, ok := w.files[name]; ok {
		return f, nil
	}
	var c *Compression
	if w.mode != modeDir {
		c = &w.compress
	}
	f, err := createOutFile(w.staging, name, kind, array, csvCols, w.opts, c)
	if err != nil {
		return nil, err
	}
	w.files[name] = f
	return f, nil
}

// validName reports whether s is usable as one file name component:
// letters, digits, '-', '_' and '.', not starting with '.', and not the
// manifest's name.
func validName(s string) bool {
	if s == "" || len(s) > 200 || s[0] == '.' || s == "manifest" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
