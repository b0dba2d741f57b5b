package export

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

var fixedNow = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600)) }

func testOpts(format string) Options {
	return Options{Format: format, Workspace: "acme", Environment: "prod", Source: "snap-1", Now: fixedNow}
}

// readDir returns every regular file under dir by slash path.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readTarGz returns the regular files of a .tar.gz and their order.
func readTarGz(t *testing.T, r io.Reader) (map[string][]byte, []string) {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
		order = append(order, h.Name)
	}
	return files, order
}

// checkManifest verifies the manifest lists every other file with the
// right hash and size, and returns it.
func checkManifest(t *testing.T, files map[string][]byte) Manifest {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(files[ManifestName], &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var listed []string
	for _, e := range m.Files {
		b, ok := files[e.Path]
		if !ok {
			t.Errorf("manifest lists missing file %s", e.Path)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != e.SHA256 {
			t.Errorf("%s sha256 = %s, manifest says %s", e.Path, got, e.SHA256)
		}
		if int64(len(b)) != e.Bytes {
			t.Errorf("%s bytes = %d, manifest says %d", e.Path, len(b), e.Bytes)
		}
		listed = append(listed, e.Path)
	}
	var present []string
	for p := range files {
		if p != ManifestName {
			present = append(present, p)
		}
	}
	sort.Strings(present)
	if !equalStrings(listed, present) {
		t.Errorf("manifest files = %v, present = %v", listed, present)
	}
	return m
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// putSample feeds a small mixed workspace, interleaving kinds and types.
func putSample(t *testing.T, w *Writer) {
	t.Helper()
	puts := []struct{ kind, parent, key, raw string }{
		{"types", "", "contracts", `{"id": 7, "slug": "contracts",  "name": "Contracts"}`},
		{"items", "contracts", "1", `{"id": 1, "type": "contracts", "data": {"title": "A, \"b\"", "n": 3}}`},
		{"fields", "contracts", "11", `{"id": 11, "slug": "title"}`},
		{"items", "people", "2", `{"id": 2, "type": "people", "data": {"name": "Zoë"}}`},
		{"items", "contracts", "3", `{"id": 3, "type": "contracts", "data": {"title": "<tag>&", "n": 1.5e3}}`},
		{"members", "", "m1", `{"id": "m1", "email": "a@b.c"}`},
		{"types", "", "people", `{"id": 8, "slug": "people"}`},
	}
	for _, p := range puts {
		if err := w.Put(p.kind, p.parent, p.key, []byte(p.raw)); err != nil {
			t.Fatalf("Put(%s, %s): %v", p.kind, p.key, err)
		}
	}
}

func lines(b []byte) []string {
	var out []string
	for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		out = append(out, string(l))
	}
	return out
}
