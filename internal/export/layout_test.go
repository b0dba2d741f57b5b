package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var wantSample = map[string][]string{
	"types.ndjson": {
		`{"key":"contracts","object":{"id":7,"slug":"contracts","name":"Contracts"}}`,
		`{"key":"people","object":{"id":8,"slug":"people"}}`,
	},
	"fields.ndjson":  {`{"parent":"contracts","key":"11","object":{"id":11,"slug":"title"}}`},
	"members.ndjson": {`{"key":"m1","object":{"id":"m1","email":"a@b.c"}}`},
	"items/contracts.ndjson": {
		`{"id":1,"type":"contracts","data":{"title":"A, \"b\"","n":3}}`,
		`{"id":3,"type":"contracts","data":{"title":"<tag>&","n":1.5e3}}`,
	},
	"items/people.ndjson": {`{"id":2,"type":"people","data":{"name":"Zoë"}}`},
}

func checkSample(t *testing.T, files map[string][]byte) {
	t.Helper()
	m := checkManifest(t, files)
	for name, want := range wantSample {
		if got := lines(files[name]); !equalStrings(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	if len(files) != len(wantSample)+1 {
		t.Errorf("got %d files, want %d", len(files), len(wantSample)+1)
	}
	wantCounts := map[string]int64{"types": 2, "fields": 1, "members": 1, "items": 3}
	for k, v := range wantCounts {
		if m.Counts[k] != v {
			t.Errorf("counts[%s] = %d, want %d", k, m.Counts[k], v)
		}
	}
	if got, want := m.CreatedAt, "2026-03-04T04:06:07Z"; got != want {
		t.Errorf("created_at = %s, want %s", got, want)
	}
	if m.FormatVersion != 1 || m.Workspace != "acme" || m.Environment != "prod" || m.Source != "snap-1" {
		t.Errorf("manifest header = %+v", m)
	}
}

func TestDirLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := NewDir(dir, testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	checkSample(t, files)
	if st.Files != 6 || st.Objects != 7 {
		t.Errorf("stats = %+v, want 6 files 7 objects", st)
	}
	var sum int64
	for _, b := range files {
		sum += int64(len(b))
	}
	if st.Bytes != sum {
		t.Errorf("stats bytes = %d, want %d", st.Bytes, sum)
	}
	assertOnly(t, filepath.Dir(dir), "out")
}

func TestTarGzLayout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.tar.gz")
	w, err := NewTarGz(p, testOpts("ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files, order := readTarGz(t, f)
	checkSample(t, files)
	if order[len(order)-1] != ManifestName {
		t.Errorf("last archive entry = %s, want manifest", order[len(order)-1])
	}
	assertOnly(t, filepath.Dir(p), "out.tar.gz")
}

func TestTarGzStream(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewTarGzStream(&buf, testOpts("ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	staging := w.staging
	putSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := readTarGz(t, &buf)
	checkSample(t, files)
	if _, err := os.Stat(staging); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging directory left behind: %v", err)
	}
}

func TestJSONFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := NewDir(dir, testOpts("json"))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	checkManifest(t, files)
	for name, want := range wantSample {
		jname := name[:len(name)-len("ndjson")] + "json"
		var got []json.RawMessage
		if err := json.Unmarshal(files[jname], &got); err != nil {
			t.Fatalf("%s does not parse: %v\n%s", jname, err, files[jname])
		}
		if len(got) != len(want) {
			t.Fatalf("%s has %d values, want %d", jname, len(got), len(want))
		}
		for i := range got {
			if string(got[i]) != want[i] {
				t.Errorf("%s[%d] = %s, want %s", jname, i, got[i], want[i])
			}
		}
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	for _, mk := range []struct {
		name string
		new  func(p string) (*Writer, error)
	}{
		{"dir", func(p string) (*Writer, error) { return NewDir(p, testOpts("")) }},
		{"targz", func(p string) (*Writer, error) { return NewTarGz(p, testOpts("")) }},
	} {
		t.Run(mk.name, func(t *testing.T) {
			parent := t.TempDir()
			w, err := mk.new(filepath.Join(parent, "out"))
			if err != nil {
				t.Fatal(err)
			}
			putSample(t, w)
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			assertOnly(t, parent)
			if err := w.Put("types", "", "x", []byte(`{}`)); !errors.Is(err, ErrClosed) {
				t.Errorf("Put after Abort = %v, want ErrClosed", err)
			}
			if _, err := w.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("Close after Abort = %v, want ErrClosed", err)
			}
		})
	}
}

func TestStreamAbortRemovesStaging(t *testing.T) {
	w, err := NewTarGzStream(&bytes.Buffer{}, testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.staging); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging left: %v", err)
	}
}

func TestRefuseExisting(t *testing.T) {
	parent := t.TempDir()
	existing := filepath.Join(parent, "taken")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDir(existing, testOpts("")); !errors.Is(err, ErrExists) {
		t.Errorf("NewDir on existing = %v, want ErrExists", err)
	}
	if _, err := NewTarGz(existing, testOpts("")); !errors.Is(err, ErrExists) {
		t.Errorf("NewTarGz on existing = %v, want ErrExists", err)
	}
	// A path taken while the export runs is refused at Close too.
	for _, tar := range []bool{false, true} {
		late := filepath.Join(parent, "late")
		var w *Writer
		var err error
		if tar {
			w, err = NewTarGz(late, testOpts(""))
		} else {
			w, err = NewDir(late, testOpts(""))
		}
		if err != nil {
			t.Fatal(err)
		}
		putSample(t, w)
		if err := os.WriteFile(late, []byte("other"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); !errors.Is(err, ErrExists) {
			t.Errorf("tar=%v: Close with path taken = %v, want ErrExists", tar, err)
		}
		if b, _ := os.ReadFile(late); string(b) != "other" {
			t.Errorf("tar=%v: final path overwritten: %q", tar, b)
		}
		if err := os.Remove(late); err != nil {
			t.Fatal(err)
		}
	}
	assertOnly(t, parent, "taken")
}

func TestPutRejectsBadInput(t *testing.T) {
	tests := []struct {
		name                   string
		kind, parent, key, raw string
		want                   error
	}{
		{"empty kind", "", "", "k", `{}`, ErrBadName},
		{"kind with slash", "a/b", "", "k", `{}`, ErrBadName},
		{"dot kind", "..", "", "k", `{}`, ErrBadName},
		{"manifest kind", "manifest", "", "k", `{}`, ErrBadName},
		{"item without type", "items", "", "1", `{}`, ErrBadName},
		{"item type traversal", "items", "../x", "1", `{}`, ErrBadName},
		{"broken json", "types", "", "k", `{"a":`, ErrBadObject},
		{"empty raw", "types", "", "k", ``, ErrBadObject},
		{"item not object", "items", "t", "1", `[1]`, ErrBadObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewTarGzStream(&bytes.Buffer{}, testOpts(""))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.Put(tt.kind, tt.parent, tt.key, []byte(tt.raw)); !errors.Is(err, tt.want) {
				t.Errorf("Put = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := NewTarGzStream(&bytes.Buffer{}, Options{Format: "xml"}); !errors.Is(err, ErrBadFormat) {
		t.Errorf("format xml = %v, want ErrBadFormat", err)
	}
}

func TestWrappedKeysEscaped(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewTarGzStream(&buf, testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	parent, key := "p\"\\\n\x01é", "k\t\r<>&\u2028"
	if err := w.Put("roles", parent, key, []byte(`{"a": 1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := readTarGz(t, &buf)
	var got struct {
		Parent, Key string
		Object      json.RawMessage
	}
	if err := json.Unmarshal(files["roles.ndjson"], &got); err != nil {
		t.Fatal(err)
	}
	if got.Parent != parent || got.Key != key || string(got.Object) != `{"a":1}` {
		t.Errorf("got %+v", got)
	}
}

// assertOnly checks dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !equalStrings(got, names) {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}
