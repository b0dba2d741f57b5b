package export

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestArchiveCompression(t *testing.T) {
	for name, want := range map[string]Compression{"a.tar.gz": Gzip, "a.tgz": Gzip, "dir/a.tar.zst": Zstd} {
		if got, ok := ArchiveCompression(name); !ok || got != want {
			t.Errorf("ArchiveCompression(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"a", "a.tar", "a.zst", "a.gz", "-"} {
		if _, ok := ArchiveCompression(name); ok {
			t.Errorf("ArchiveCompression(%q) is an archive", name)
		}
	}
}

// putLarge writes n items of about 200 bytes in two types and some
// members: item files span many compressed blocks.
func putLarge(t *testing.T, w *Writer, n int) {
	t.Helper()
	for i := range n {
		typ := []string{"clients", "contracts"}[i%2]
		raw := fmt.Sprintf(`{"id":%d,"type":%q,"data":{"title":"item %d %s"}}`, i, typ, i, bytes.Repeat([]byte{'a' + byte(i%26)}, 150))
		if err := w.Put("items", typ, "", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if err := w.Put("members", "", fmt.Sprint(i), []byte(`{"role":"x"}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// unzstd returns the tar stream inside a .tar.zst.
func unzstd(t *testing.T, r io.Reader) io.Reader {
	t.Helper()
	d, err := zstd.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// readTar returns the regular files of an uncompressed tar stream.
func readTar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	tr := tar.NewReader(r)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if h.Mode != 0o600 {
				t.Errorf("%s: mode %o, want 600", h.Name, h.Mode)
			}
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestArchivesHoldTheDirectorysBytes writes the same large export as a
// directory, a .tar.gz and a .tar.zst: both archives, read by the standard
// libraries, hold the directory's files byte for byte, and Read delivers
// every object of each.
func TestArchivesHoldTheDirectorysBytes(t *testing.T) {
	const n = 6000 // about 1.2 MB of items: several blocks per file
	dir := t.TempDir()
	d, err := NewDir(filepath.Join(dir, "plain"), testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	putLarge(t, d, n)
	if _, err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want := readDir(t, filepath.Join(dir, "plain"))
	for _, c := range []struct {
		name string
		c    Compression
		tar  func(t *testing.T, r io.Reader) map[string][]byte
	}{
		{"x.tar.gz", Gzip, func(t *testing.T, r io.Reader) map[string][]byte { files, _ := readTarGz(t, r); return files }},
		{"x.tar.zst", Zstd, func(t *testing.T, r io.Reader) map[string][]byte { return readTar(t, unzstd(t, r)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name)
			w, err := NewArchive(p, c.c, testOpts(""))
			if err != nil {
				t.Fatal(err)
			}
			putLarge(t, w, n)
			st, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if st.Objects != n+n/100 {
				t.Errorf("Stats.Objects = %d, want %d", st.Objects, n+n/100)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := c.tar(t, f)
			for name, b := range want {
				if name == ManifestName {
					continue
				}
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s: %d bytes in the archive, %d in the directory, or other bytes", name, len(got[name]), len(b))
				}
			}
			if len(got) != len(want) {
				t.Errorf("archive holds %d files, directory %d", len(got), len(want))
			}
			items := 0
			if _, err := Read(p, func(kind, _, _ string, _ []byte) error {
				if kind == ItemsKind {
					items++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if items != n {
				t.Errorf("Read delivered %d items, want %d", items, n)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("archive mode = %v, %v; want 0600", fi.Mode(), err)
			}
			assertNoStaging(t, dir)
		})
	}
}

// TestArchiveAbortWithBlocksInFlight aborts a large archive export: nothing
// is left, and the writer is closed.
func TestArchiveAbortWithBlocksInFlight(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd} {
		parent := t.TempDir()
		w, err := NewArchive(filepath.Join(parent, "out.tar.zst"), c, testOpts(""))
		if err != nil {
			t.Fatal(err)
		}
		putLarge(t, w, 3000)
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		assertOnly(t, parent)
		if _, err := w.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("Close after Abort = %v, want ErrClosed", err)
		}
	}
}

func TestArchiveStreamZstd(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewArchiveStream(&buf, Zstd, testOpts("ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkSample(t, readTar(t, unzstd(t, &buf)))
}

func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(tmps) > 0 {
		t.Errorf("temporary output left: %v", tmps)
	}
}
