package durable

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestLinkNew: the finished file takes a free name and leaves no
// temporary behind; a file already at the name is left as it was.
func TestLinkNew(t *testing.T) {
	dir := t.TempDir()
	tmp, to := filepath.Join(dir, "tmp"), filepath.Join(dir, "db")
	if err := os.WriteFile(tmp, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, []byte("other"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LinkNew(tmp, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("LinkNew over a file = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(to); string(b) != "other" {
		t.Errorf("the file in the way now holds %q", b)
	}
	if err := os.Remove(to); err != nil {
		t.Fatal(err)
	}
	if err := LinkNew(tmp, to); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(to); string(b) != "new" {
		t.Errorf("the name holds %q, want the new file", b)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary file is still there: %v", err)
	}
	if err := SyncDir(filepath.Join(dir, "absent")); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
}
