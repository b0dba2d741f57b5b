package export

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
)

// hashFile writes to a file, or to a blockWriter compressing into the
// file, while hashing and counting the bytes.
type hashFile struct {
	f  *os.File
	bw *blockWriter // nil: plain file
	h  hash.Hash
	n  int64
}

func (h *hashFile) Write(p []byte) (int, error) {
	var n int
	var err error
	if h.bw != nil {
		n, err = h.bw.Write(p)
	} else {
		n, err = h.f.Write(p)
	}
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// outFile is one output file being streamed into the staging directory.
type outFile struct {
	name    string // slash path inside the export
	kind    string
	array   bool // json format: a JSON array of the values
	hf      *hashFile
	buf     *bufio.Writer
	csv     *csv.Writer
	cols    []string
	row     []string
	objects int64
	closed  bool
}

// createOutFile starts the file name in staging. With compress, the staged
// file holds the file's bytes already compressed, in blocks, for an
// archive: compression runs while the export is written, not after.
func createOutFile(staging, name, kind string, array bool, csvCols []string, opts Options, compress *Compression) (*outFile, error) {
	full := filepath.Join(staging, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), opts.dirMode()); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", name, err)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, opts.fileMode())
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	hf := &hashFile{f: f, h: sha256.New()}
	if compress != nil {
		hf.bw = newBlockWriter(*compress, f)
	}
	o := &outFile{name: name, kind: kind, array: array, hf: hf, buf: bufio.NewWriterSize(hf, 64<<10)}
	if csvCols != nil {
		o.cols = csvCols
		o.row = make([]string, 1+len(csvCols))
		o.csv = csv.NewWriter(o.buf)
		if err := o.csv.Write(append([]string{"id"}, csvCols...)); err != nil {
			o.discard()
			return nil, fmt.Errorf("write header of %s: %w", name, err)
		}
	}
	return o, nil
}

// writeValue appends one compact JSON value: a line in ndjson, an array
// element in json.
func (o *outFile) writeValue(v []byte) error {
	sep := "\n"
	if o.array {
		sep = ",\n"
		if o.objects == 0 {
			sep = "[\n"
		}
		if _, err := o.buf.WriteString(sep); err != nil {
			return fmt.Errorf("write %s: %w", o.name, err)
		}
		sep = ""
	}
	if _, err := o.buf.Write(v); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	if _, err := o.buf.WriteString(sep); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	o.objects++
	return nil
}

// writeItemRow appends one csv row built from the item's data.
func (o *outFile) writeItemRow(raw []byte) error {
	if err := itemRow(raw, o.cols, o.row); err != nil {
		return fmt.Errorf("put item in %s: %w", o.name, err)
	}
	if err := o.csv.Write(o.row); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	o.objects++
	return nil
}

// finish completes, syncs and closes the file.
func (o *outFile) finish() error {
	if o.closed {
		return nil
	}
	o.closed = true
	err := o.complete()
	if cerr := o.hf.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", o.name, cerr)
	}
	return err
}

func (o *outFile) complete() error {
	if o.array {
		end := "\n]\n"
		if o.objects == 0 {
			end = "[]\n"
		}
		if _, err := o.buf.WriteString(end); err != nil {
			return fmt.Errorf("write %s: %w", o.name, err)
		}
	}
	if o.csv != nil {
		o.csv.Flush()
		if err := o.csv.Error(); err != nil {
			return fmt.Errorf("write %s: %w", o.name, err)
		}
	}
	if err := o.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	if o.hf.bw != nil {
		// A staged archive part is not synced: the archive is.
		if err := o.hf.bw.Close(); err != nil {
			return fmt.Errorf("write %s: %w", o.name, err)
		}
		return nil
	}
	if err := o.hf.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", o.name, err)
	}
	return nil
}

// discard closes the file without finishing it.
func (o *outFile) discard() {
	if !o.closed {
		o.closed = true
		if o.hf.bw != nil {
			_ = o.hf.bw.Close()
		}
		_ = o.hf.f.Close()
	}
}

func (o *outFile) entry() FileEntry {
	return FileEntry{Path: o.name, SHA256: hex.EncodeToString(o.hf.h.Sum(nil)), Bytes: o.hf.n, Objects: o.objects}
}
