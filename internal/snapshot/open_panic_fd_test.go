package snapshot

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// damageFreelist points each meta page's freelist at a page that is no
// freelist: bbolt.Open then panics inside ("invalid freelist page"), after
// it opened, locked and mapped the file.
func damageFreelist(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps := int64(os.Getpagesize())
	for meta := int64(0); meta < 2; meta++ {
		var b [8]byte
		// page header (16 bytes), then magic, version, page size, flags
		// (4 bytes each), the root bucket (16), then the freelist's page.
		if _, err := f.ReadAt(b[:], meta*ps+16+16+16); err != nil {
			t.Fatal(err)
		}
		pg := int64(binary.LittleEndian.Uint64(b[:]))
		if _, err := f.WriteAt([]byte{0x02, 0x00}, pg*ps+8); err != nil { // a leaf page's flags
			t.Fatal(err)
		}
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// TestOpenPanicInBoltReleasesFile: a panic inside bbolt.Open (a damaged
// freelist page) gives back the file bbolt opened and its lock. Before,
// Open turned the panic into ErrCorrupt but the descriptor stayed open
// with its lock held, so every later Open in the process (a daemon's next
// run, a repair) waited out its timeout and reported the database locked.
func TestOpenPanicInBoltReleasesFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	damageFreelist(t, path)
	before := openFDs(t)
	for i := 0; i < 2; i++ {
		_, err := Open(path, Options{Logger: quiet, Timeout: 300 * time.Millisecond})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("open %d: got %v, want ErrCorrupt", i+1, err)
		}
	}
	if after := openFDs(t); after != before {
		t.Fatalf("open descriptors: %d before, %d after two failed opens", before, after)
	}
	// A read-only Open (no freelist read) gets the shared lock at once.
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("read-only open after the failed ones: %v", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
}
