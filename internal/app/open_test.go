package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestOpenNewerFormatNamesTheFileOnce: a database a newer build wrote is
// refused, read-write and read-only, with one mention of its path.
func TestOpenNewerFormatNamesTheFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := snapshot.Open(path, snapshot.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte(fmt.Sprint(snapshot.FormatVersion+1)))
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := OpenStore(path, OpenOptions{ReadOnly: ro, Logger: quiet})
		if !errors.Is(err, snapshot.ErrNewerFormat) {
			t.Fatalf("read-only %v: %v, want ErrNewerFormat", ro, err)
		}
		if n := strings.Count(err.Error(), path); n != 1 {
			t.Errorf("read-only %v: %q names the file %d times, want once", ro, err, n)
		}
	}
}
