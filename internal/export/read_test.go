package export

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readRec is one call of Read's function.
type readRec struct{ kind, parent, key, raw string }

// wantRead is what Read delivers for putReadSample, in manifest order,
// byte for byte as the Writer compacted it.
var wantRead = []readRec{
	{"fields", "contracts", "11", `{"id":11,"slug":"title"}`},
	{"fields", "people", "12", `{"id":12}`},
	{"items", "contracts", "1", `{"id":1,"type":"contracts","data":{"title":"A, \"b\"","n":3}}`},
	{"items", "contracts", "3", `{"id":3,"type":"contracts","data":{"title":"<tag>&","n":1.5e3}}`},
	{"items", "people", "2", `{"id":2,"type":"people","data":{"name":"Zoë"}}`},
	{"items", "people", `p-"9"`, `{"id":"p-\"9\"","type":"people","data":{"s":"a]b,c"}}`},
	{"members", "", "m1", `{"id":"m1","email":"a@b.c"}`},
	{"members", "", "k\"ey\n", `{"x":[1,2]}`},
	{"types", "", "contracts", `{"id":7,"slug":"contracts","name":"Contracts"}`},
	{"types", "", "people", `{"id":8,"slug":"people"}`},
}

// putReadSample is putSample plus a string item id, an odd key, a
// parented field of a second type and a string holding array syntax.
func putReadSample(t *testing.T, w *Writer) {
	t.Helper()
	putSample(t, w)
	for _, p := range []readRec{
		{"items", "people", "", `{"id": "p-\"9\"", "type": "people", "data": {"s": "a]b,c"}}`},
		{"members", "", "k\"ey\n", `{"x": [1, 2]}`},
		{"fields", "people", "12", `{"id": 12}`},
	} {
		if err := w.Put(p.kind, p.parent, p.key, []byte(p.raw)); err != nil {
			t.Fatal(err)
		}
	}
}

// writeExport writes the read sample in format to a directory or, with
// archive, a .tar.gz, and returns its path.
func writeExport(t *testing.T, format string, archive bool) string {
	t.Helper()
	var w *Writer
	var err error
	p := filepath.Join(t.TempDir(), "out")
	if archive {
		p += ".tar.gz"
		w, err = NewTarGz(p, testOpts(format))
	} else {
		w, err = NewDir(p, testOpts(format))
	}
	if err != nil {
		t.Fatal(err)
	}
	if format == FormatCSV {
		for _, typ := range []string{"contracts", "people"} {
			if err := w.SetFields(typ, []string{"title", "name"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	putReadSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// collect reads the export at p and returns every call of fn.
func collect(p string) ([]readRec, *Manifest, error) {
	var got []readRec
	m, err := Read(p, func(kind, parent, key string, raw []byte) error {
		got = append(got, readRec{kind, parent, key, string(raw)})
		return nil
	})
	return got, m, err
}

func TestReadRoundTrip(t *testing.T) {
	for _, format := range []string{FormatNDJSON, FormatJSON} {
		for _, archive := range []bool{false, true} {
			name := format + "/dir"
			if archive {
				name = format + "/targz"
			}
			t.Run(name, func(t *testing.T) {
				p := writeExport(t, format, archive)
				got, m, err := collect(p)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(wantRead) {
					t.Fatalf("got %d objects, want %d: %q", len(got), len(wantRead), got)
				}
				for i := range got {
					if got[i] != wantRead[i] {
						t.Errorf("object %d:\n got %q\nwant %q", i, got[i], wantRead[i])
					}
				}
				if m.Workspace != "acme" || m.Source != "snap-1" || m.Counts["items"] != 4 || len(m.Files) != 5 {
					t.Errorf("manifest = %+v", m)
				}
				if m2, err := Read(p, nil); err != nil || m2.Counts["members"] != 2 {
					t.Errorf("Read(nil) = %+v, %v", m2, err)
				}
			})
		}
	}
}

func TestReadEmptyExport(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.tar.gz")
	w, err := NewTarGz(p, testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, m, err := collect(p)
	if err != nil || len(got) != 0 || len(m.Files) != 0 {
		t.Errorf("empty export: %q, %+v, %v", got, m, err)
	}
}

// editManifest rewrites the manifest of a directory export.
func editManifest(t *testing.T, dir string, edit func(m *Manifest)) {
	t.Helper()
	p := filepath.Join(dir, ManifestName)
	m := Manifest{}
	b, err := os.ReadFile(p)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if b, err = json.Marshal(m); err == nil {
		err = os.WriteFile(p, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// rehash sets the manifest entry of name to the file's current hash and
// size, so only its content is wrong.
func rehash(t *testing.T, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	editManifest(t, dir, func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == name {
				m.Files[i].SHA256, m.Files[i].Bytes = hex.EncodeToString(sum[:]), int64(len(b))
			}
		}
	})
}

func TestReadDirRefusesBadExports(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		mutate  func(t *testing.T, dir string)
		wantErr error
		wantMsg string
	}{
		{"flipped byte", "", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "items", "contracts.ndjson")
			b, _ := os.ReadFile(p)
			b[10] ^= 0x01
			os.WriteFile(p, b, 0o644)
		}, ErrCorruptExport, "items/contracts.ndjson: sha256"},
		{"missing file", "", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "members.ndjson"))
		}, ErrCorruptExport, "members.ndjson is listed in the manifest but missing"},
		{"extra file", "", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "items", "notes.txt"), []byte("x"), 0o644)
		}, ErrCorruptExport, `"items/notes.txt" is not listed`},
		{"extra directory", "", func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		}, ErrCorruptExport, `unexpected directory "sub"`},
		{"symlink", "", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "members.ndjson")
			os.Rename(p, p+".real")
			os.Symlink("/etc/passwd", p)
		}, ErrCorruptExport, `"members.ndjson" is not a regular file`},
		{"no manifest", "", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestName))
		}, ErrCorruptExport, "manifest.json is missing"},
		{"version too new", "", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.FormatVersion = FormatVersion + 1 })
		}, ErrUnsupportedExport, "format_version 2 is newer than 1"},
		{"csv", FormatCSV, func(t *testing.T, dir string) {}, ErrUnsupportedExport, "items/contracts.csv is csv: a restore needs an ndjson or json export"},
		{"object count", "", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) {
				m.Files[3].Objects++ // members.ndjson
				m.Counts["members"]++
			})
		}, ErrCorruptExport, "members.ndjson: 2 objects, the manifest says 3"},
		{"counts disagree", "", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Counts["types"] = 5 })
		}, ErrCorruptExport, "counts[types] = 5"},
		{"bad json line", "", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "types.ndjson")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, "{\"key\":\"x\",\"object\":{]}\n"...), 0o644)
			editManifest(t, dir, func(m *Manifest) { m.Files[4].Objects++; m.Counts["types"]++ })
			rehash(t, dir, "types.ndjson")
		}, ErrCorruptExport, "types.ndjson: line 3:"},
		{"bad json element", FormatJSON, func(t *testing.T, dir string) {
			p := filepath.Join(dir, "items", "people.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"id":2`), []byte(`"id":true`), 1), 0o644)
			rehash(t, dir, "items/people.json")
		}, ErrCorruptExport, "items/people.json: element 1: item has no number or string id"},
		{"path in manifest", "", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[0].Path = "../fields.ndjson" })
		}, ErrCorruptExport, `invalid path "../fields.ndjson"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeExport(t, tt.format, false)
			tt.mutate(t, dir)
			got, m, err := collect(dir)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Read = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
			if len(got) != 0 || m != nil {
				t.Errorf("Read delivered %d objects and manifest %v from a bad export", len(got), m)
			}
		})
	}
}

// tarEntry is one entry of an archive being rewritten.
type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

// rewriteTar reads the archive at p, lets edit change its entries, and
// writes them back to p.
func rewriteTar(t *testing.T, p string, edit func([]tarEntry) []tarEntry) {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var entries []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, tarEntry{h, b})
	}
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for _, e := range edit(entries) {
		if e.hdr.Typeflag == tar.TypeReg {
			e.hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func entryNamed(es []tarEntry, name string) int {
	for i, e := range es {
		if e.hdr.Name == name {
			return i
		}
	}
	panic("no entry " + name)
}

func extraEntry(name string, typ byte, body string) tarEntry {
	return tarEntry{&tar.Header{Name: name, Typeflag: typ, Mode: 0o644, Linkname: "/etc/passwd"}, []byte(body)}
}

func TestReadTarGz(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		edit    func([]tarEntry) []tarEntry
		raw     func([]byte) []byte
		wantErr error
		wantMsg string
	}{
		{name: "manifest first", edit: func(es []tarEntry) []tarEntry {
			n := len(es) - 1
			return append([]tarEntry{es[n]}, es[:n]...)
		}},
		{name: "dot-slash names", edit: func(es []tarEntry) []tarEntry {
			for _, e := range es {
				e.hdr.Name = "./" + e.hdr.Name
			}
			return append([]tarEntry{extraEntry("./", tar.TypeDir, "")}, es...)
		}},
		{name: "flipped byte", edit: func(es []tarEntry) []tarEntry {
			es[entryNamed(es, "items/people.ndjson")].body[5] ^= 0x20
			return es
		}, wantErr: ErrCorruptExport, wantMsg: "items/people.ndjson: sha256"},
		{name: "missing file", edit: func(es []tarEntry) []tarEntry {
			i := entryNamed(es, "types.ndjson")
			return append(es[:i], es[i+1:]...)
		}, wantErr: ErrCorruptExport, wantMsg: "types.ndjson is listed in the manifest but missing"},
		{name: "extra file", edit: func(es []tarEntry) []tarEntry {
			return append([]tarEntry{extraEntry("extra.ndjson", tar.TypeReg, "{}\n")}, es...)
		}, wantErr: ErrCorruptExport, wantMsg: `"extra.ndjson" is not listed`},
		{name: "path traversal", edit: func(es []tarEntry) []tarEntry {
			return append([]tarEntry{extraEntry("../x.ndjson", tar.TypeReg, "{}\n")}, es...)
		}, wantErr: ErrCorruptExport, wantMsg: `"../x.ndjson" is not listed`},
		{name: "absolute path", edit: func(es []tarEntry) []tarEntry {
			return append(es, extraEntry("/tmp/x", tar.TypeReg, "x"))
		}, wantErr: ErrCorruptExport, wantMsg: `"/tmp/x" is not listed`},
		{name: "symlink", edit: func(es []tarEntry) []tarEntry {
			return append([]tarEntry{extraEntry("items/evil.ndjson", tar.TypeSymlink, "")}, es...)
		}, wantErr: ErrCorruptExport, wantMsg: `"items/evil.ndjson" is not a regular file`},
		{name: "hard link", edit: func(es []tarEntry) []tarEntry {
			return append([]tarEntry{extraEntry("types.ndjson", tar.TypeLink, "")}, es...)
		}, wantErr: ErrCorruptExport, wantMsg: `"types.ndjson" is not a regular file`},
		{name: "duplicate", edit: func(es []tarEntry) []tarEntry {
			return append([]tarEntry{es[entryNamed(es, "types.ndjson")]}, es...)
		}, wantErr: ErrCorruptExport, wantMsg: `"types.ndjson" appears twice`},
		{name: "out of order", edit: func(es []tarEntry) []tarEntry {
			i := entryNamed(es, "types.ndjson")
			return append(append([]tarEntry{es[i]}, es[:i]...), es[i+1:]...)
		}, wantErr: ErrCorruptExport, wantMsg: "types.ndjson is out of manifest order"},
		{name: "no manifest", edit: func(es []tarEntry) []tarEntry { return es[:len(es)-1] },
			wantErr: ErrCorruptExport, wantMsg: "no manifest.json"},
		{name: "version too new", edit: func(es []tarEntry) []tarEntry {
			m := &es[len(es)-1]
			m.body = bytes.Replace(m.body, []byte(`"format_version": 1`), []byte(`"format_version": 9`), 1)
			// A newer format may hold files this version does not know.
			return append([]tarEntry{extraEntry("blobs/x.bin", tar.TypeReg, "x")}, es...)
		}, wantErr: ErrUnsupportedExport, wantMsg: "format_version 9 is newer"},
		{name: "csv", format: FormatCSV, wantErr: ErrUnsupportedExport, wantMsg: "items/contracts.csv is csv: a restore needs an ndjson or json export"},
		{name: "truncated gzip", raw: func(b []byte) []byte { return b[:len(b)*2/3] },
			wantErr: ErrCorruptExport, wantMsg: "read archive"},
		{name: "truncated trailer", raw: func(b []byte) []byte { return b[:len(b)-4] },
			wantErr: ErrCorruptExport, wantMsg: "read archive"},
		{name: "not gzip", raw: func(b []byte) []byte { return []byte("not an archive") },
			wantErr: ErrCorruptExport, wantMsg: "not a .tar.gz file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeExport(t, tt.format, true)
			if tt.edit != nil {
				rewriteTar(t, p, tt.edit)
			}
			if tt.raw != nil {
				b, _ := os.ReadFile(p)
				os.WriteFile(p, tt.raw(b), 0o644)
			}
			got, m, err := collect(p)
			if tt.wantErr == nil {
				if err != nil || len(got) != len(wantRead) || got[0] != wantRead[0] {
					t.Fatalf("Read = %d objects, %v; want %d objects", len(got), err, len(wantRead))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Read = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
			if len(got) != 0 || m != nil {
				t.Errorf("Read delivered %d objects and manifest %v from a bad export", len(got), m)
			}
		})
	}
}

func TestReadCallbackError(t *testing.T) {
	stop := errors.New("stop here")
	for _, archive := range []bool{false, true} {
		p := writeExport(t, FormatNDJSON, archive)
		calls := 0
		_, err := Read(p, func(kind, parent, key string, raw []byte) error {
			if calls++; calls == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || !strings.Contains(err.Error(), "items/contracts.ndjson") || calls != 3 {
			t.Errorf("archive=%v: Read = %v after %d calls, want stop after 3", archive, err, calls)
		}
	}
}

func TestReadObjectLimit(t *testing.T) {
	defer func(n int) { maxObjectBytes = n }(maxObjectBytes)
	for _, format := range []string{FormatNDJSON, FormatJSON} {
		maxObjectBytes = 1 << 20
		p := writeExport(t, format, true)
		maxObjectBytes = 60 // the manifest is read with the same limit
		_, _, err := collect(p)
		if !errors.Is(err, ErrCorruptExport) || !strings.Contains(err.Error(), "manifest.json is larger than 60 bytes") {
			t.Errorf("%s: Read = %v, want manifest over the limit", format, err)
		}
		b, _ := os.ReadFile(p)
		maxObjectBytes = len(b) * 100
		if _, _, err := collect(p); err != nil {
			t.Errorf("%s: Read under a high limit = %v", format, err)
		}
	}
}

func TestScanLimits(t *testing.T) {
	defer func(n int) { maxObjectBytes = n }(maxObjectBytes)
	maxObjectBytes = 16
	long := `{"id":1234567890123}`
	if err := scanLines(strings.NewReader("{}\n"+long+"\n"), func([]byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 2: longer than 16 bytes") {
		t.Errorf("scanLines = %v", err)
	}
	if err := scanArray(strings.NewReader("[{},"+long+"]"), func([]byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "element 2: longer than 16 bytes") {
		t.Errorf("scanArray = %v", err)
	}
}

func TestScanArray(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "[]\n", want: nil},
		{in: " [ \n ] ", want: nil},
		{in: "[\n{\"a\":1},\n[1,[2]]\n]\n", want: []string{`{"a":1}`, `[1,[2]]`}},
		{in: `[ "x,]\"}" , 3 ,null]`, want: []string{`"x,]\"}"`, `3`, `null`}},
		{in: `["a\\", "b"]`, want: []string{`"a\\"`, `"b"`}},
		{in: "", wantErr: "not a JSON array"},
		{in: `{"a":1}`, wantErr: "not a JSON array"},
		{in: "[", wantErr: "unexpected end of array"},
		{in: "[1,", wantErr: "unexpected end of array"},
		{in: `[{"a":1`, wantErr: "element 1: unexpected end of array"},
		{in: "[1,]", wantErr: "element 2: empty element"},
		{in: "[,1]", wantErr: "element 1: empty element"},
		{in: "[1}]", wantErr: "element 1: unbalanced brackets"},
		{in: "[1] x", wantErr: "data after the array"},
		{in: "[1][2]", wantErr: "data after the array"},
	}
	for _, tt := range tests {
		var got []string
		err := scanArray(strings.NewReader(tt.in), func(b []byte) error {
			got = append(got, string(b))
			return nil
		})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("scanArray(%q) = %v, want error %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !equalStrings(got, tt.want) {
			t.Errorf("scanArray(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		kind, parent, raw    string
		wantParent, wantKey  string
		wantObj, wantErrPart string
	}{
		{"items", "t", `{"id":42,"x":1}`, "t", "42", `{"id":42,"x":1}`, ""},
		{"items", "t", `{"id":-1.5e2}`, "t", "-1.5e2", `{"id":-1.5e2}`, ""},
		{"items", "t", `{"id":"a\u00e9\"b"}`, "t", "aé\"b", `{"id":"a\u00e9\"b"}`, ""},
		{"items", "t", `{"id":null}`, "", "", "", "no number or string id"},
		{"items", "t", `{"x":1}`, "", "", "", "no number or string id"},
		{"items", "t", `[1]`, "", "", "", "not a JSON object"},
		{"items", "t", ``, "", "", "", "not a JSON object"},
		{"items", "t", `{"id":1`, "", "", "", "unexpected end"},
		{"types", "", `{"parent":"p","key":"k","object":{"a": 1}}`, "p", "k", `{"a": 1}`, ""},
		{"types", "", `{"key":"","object":null}`, "", "", "null", ""},
		{"types", "", `{"object":{}}`, "", "", "", "lacks key or object"},
		{"types", "", `{"key":"k"}`, "", "", "", "lacks key or object"},
		{"types", "", `nonsense`, "", "", "", "invalid character"},
	}
	for _, tt := range tests {
		p, key, obj, err := decodeValue(tt.kind, tt.parent, []byte(tt.raw))
		if tt.wantErrPart != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrPart) {
				t.Errorf("decodeValue(%s) = %v, want error %q", tt.raw, err, tt.wantErrPart)
			}
			continue
		}
		if err != nil || p != tt.wantParent || key != tt.wantKey || string(obj) != tt.wantObj {
			t.Errorf("decodeValue(%s) = %q %q %s %v; want %q %q %s", tt.raw, p, key, obj, err, tt.wantParent, tt.wantKey, tt.wantObj)
		}
	}
}

// FuzzRead feeds arbitrary bytes to Read as an archive (gzip and zstd
// seeds): it must return an
// error or objects, never panic, and never write anything.
func FuzzRead(f *testing.F) {
	for _, format := range []string{FormatNDJSON, FormatJSON} {
		var buf bytes.Buffer
		w, err := NewTarGzStream(&buf, testOpts(format))
		if err != nil {
			f.Fatal(err)
		}
		if err := w.Put("types", "", "t", []byte(`{"id":1,"slug":"t"}`)); err != nil {
			f.Fatal(err)
		}
		if err := w.Put("items", "t", "", []byte(`{"id":"x","data":{"a":[1,"]"]}}`)); err != nil {
			f.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
	}
	var zst bytes.Buffer
	w, err := NewArchiveStream(&zst, Zstd, testOpts(FormatNDJSON))
	if err != nil {
		f.Fatal(err)
	}
	if err := w.Put("types", "", "t", []byte(`{"id":1,"slug":"t"}`)); err != nil {
		f.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(zst.Bytes())
	f.Add(zst.Bytes()[:zst.Len()/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "x.tar.gz")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Read(p, func(kind, parent, key string, raw []byte) error {
			if !json.Valid(raw) {
				t.Errorf("Read delivered invalid JSON %q", raw)
			}
			return nil
		})
		if (m == nil) == (err == nil) {
			t.Errorf("Read = %v, %v: want exactly one of manifest and error", m, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("Read left %d entries in the directory, want 1", len(entries))
		}
	})
}

// tarBlock builds a ustar header block by hand, for entries archive/tar
// does not write.
func tarBlock(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b[0:], name)
	copy(b[100:], "0000644\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func paxRecord(k, v string) string {
	for n := len(k) + len(v) + 3; ; {
		s := fmt.Sprintf("%d %s=%s\n", n, k, v)
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

func TestReadRefusesSparseFile(t *testing.T) {
	// A PAX sparse entry of two stored bytes that claims a terabyte: the
	// tar reader would produce the holes as zeros.
	recs := paxRecord("GNU.sparse.size", "1000000000000") + paxRecord("GNU.sparse.numblocks", "1") + paxRecord("GNU.sparse.map", "0,2")
	var tarBytes []byte
	tarBytes = append(tarBytes, tarBlock("PaxHeaders/types.ndjson", tar.TypeXHeader, len(recs))...)
	tarBytes = append(tarBytes, recs...)
	tarBytes = append(tarBytes, make([]byte, 512-len(recs)%512)...)
	tarBytes = append(tarBytes, tarBlock("types.ndjson", tar.TypeReg, 2)...)
	tarBytes = append(tarBytes, "{}"...)
	tarBytes = append(tarBytes, make([]byte, 510+1024)...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarBytes)
	zw.Close()
	p := filepath.Join(t.TempDir(), "sparse.tar.gz")
	if err := os.WriteFile(p, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := collect(p)
	if !errors.Is(err, ErrCorruptExport) || !strings.Contains(err.Error(), `"types.ndjson" is a sparse file`) {
		t.Errorf("Read = %v, want a refused sparse file", err)
	}
}
