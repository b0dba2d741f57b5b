package export

import (
	"archive/tar"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestExportsArePrivate checks the modes an export is written with under a
// umask of 022: 0600 files and 0700 directories by default, and what
// Options.Mode asks otherwise; the entries of an archive carry the same.
func TestExportsArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, tt := range []struct {
		mode          os.FileMode
		file, dirMode os.FileMode
	}{
		{0, 0o600, 0o700},
		{0o640, 0o640, 0o750},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "acme")
		w, err := NewDir(out, Options{Workspace: "acme", Mode: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		writeSample(t, w)
		err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			want := tt.file
			if d.IsDir() {
				want = tt.dirMode
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("mode %o: %s is %o, want %o", tt.mode, p, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		archive := filepath.Join(dir, "acme.tar.gz")
		w, err = NewTarGz(archive, Options{Workspace: "acme", Mode: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		writeSample(t, w)
		fi, err := os.Stat(archive)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.file {
			t.Errorf("mode %o: the archive is %o, want %o", tt.mode, got, tt.file)
		}
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(gz)
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			want := tt.file
			if hdr.Typeflag == tar.TypeDir {
				want = tt.dirMode
			}
			if got := os.FileMode(hdr.Mode).Perm(); got != want {
				t.Errorf("mode %o: archive entry %s is %o, want %o", tt.mode, hdr.Name, got, want)
			}
		}
		f.Close()
	}
}

func writeSample(t *testing.T, w *Writer) {
	t.Helper()
	if err := w.Put("types", "", "clients", []byte(`{"id":1,"slug":"clients"}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "clients", "7", []byte(`{"id":7,"data":{}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
