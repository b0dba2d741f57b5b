package snapshot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestLockedNamesHolder(t *testing.T) {
	db := openTestOpts(t, Options{Command: "enspace-sync run"})
	path := db.Path()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(lockInfoPath(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock info: %v", err)
	}
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(path, Options{Logger: quiet, Timeout: 50 * time.Millisecond, ReadOnly: ro})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second open (read-only %v) = %v, want ErrLocked", ro, err)
		}
		want := fmt.Sprintf("database is locked by pid %d (enspace-sync run) since 2", os.Getpid())
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("second open took %s", d)
		}
	}
}

func TestReadOnlyShared(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 3, same)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()
	if s, err := r2.Snapshots("acme"); err != nil || len(s) != 1 {
		t.Errorf("reader sees %d snapshots, %v", len(s), err)
	}
	if _, err := r1.Begin("acme", t0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Begin on a reader = %v, want ErrReadOnly", err)
	}
	if _, err := r1.Prune(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Prune on a reader = %v, want ErrReadOnly", err)
	}
	_, err = Open(path, Options{Logger: quiet, Timeout: 30 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "no lock info") {
		t.Errorf("writer while readers hold the lock = %v, want ErrLocked without a holder", err)
	}
	if _, err := os.Stat(lockInfoPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a reader wrote lock info: %v", err)
	}
}

func TestNewerFormatRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(fmt.Sprint(FormatVersion+1)))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{Logger: quiet, ReadOnly: ro})
		if !errors.Is(err, ErrNewerFormat) {
			t.Fatalf("open (read-only %v) = %v, want ErrNewerFormat", ro, err)
		}
		want := fmt.Sprintf("database format %d is newer than this build understands (%d); upgrade enspace-sync", FormatVersion+1, FormatVersion)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to say %q", err, want)
		}
	}
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not bolt ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Logger: quiet}); err == nil {
		t.Error("opening junk succeeded")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), Options{Logger: quiet, ReadOnly: true}); err == nil {
		t.Error("opening a missing file read-only succeeded")
	}
}

func TestWriteToAndSize(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 20, same)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	size, err := db.Size()
	if err != nil || n <= 0 || size < n {
		t.Errorf("copied %d bytes, size %d, %v", n, size, err)
	}
	c, err := Open(copyPath, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, ok, err := c.Lookup(s, "items/contracts", "7")
	if err != nil || !ok || string(got) != string(item(7, 0)) {
		t.Errorf("lookup in the copy = %v, %v", ok, err)
	}
}

func TestLockedStaleInfo(t *testing.T) {
	db := openTest(t)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A process that has exited left lock info behind; a reader holds the lock.
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf(`{"pid":%d,"hostname":%q,"command":"enspace-sync run","started_at":"2026-03-14T09:00:00.000Z"}`, dead.Process.Pid, host)
	if err := os.WriteFile(lockInfoPath(path), []byte(info), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(lockInfoPath(path))
	r, err := Open(path, Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = Open(path, Options{Logger: quiet, Timeout: 20 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "lock info is stale") {
		t.Errorf("open = %v, want ErrLocked saying the info is stale", err)
	}
}
