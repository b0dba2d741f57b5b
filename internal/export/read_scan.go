package export

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
)

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
