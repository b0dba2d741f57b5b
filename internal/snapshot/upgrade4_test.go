package snapshot

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// format3DB makes a format-3 database of two snapshots at a new path, its
// blob index filed, and returns the path and its contents.
func format3DB(t *testing.T) (string, map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 300, same)
	snapshotOf(t, db, "acme", 300, func(id int) int { return id % 7 / 6 })
	fileAll(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	makeFormat3(t, path)
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := metaValue(t, ro, keyFormat); got != "3" {
		t.Fatalf("format %q, want 3", got)
	}
	return path, contents(t, ro)
}

// blobsByHash checks that Blob finds every object of want by its hash.
func blobsByHash(t *testing.T, db *DB, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if !strings.HasSuffix(k, " hash") {
			continue
		}
		h, _ := ParseHash(v)
		raw, err := db.Blob(h)
		if err != nil || want[strings.TrimSuffix(k, " hash")] != string(raw) {
			t.Fatalf("Blob(%s) of %s: %q, %v", h.Short(), k, raw, err)
		}
	}
}

// TestFormat3UpgradesToGroups: a read-only open reads a format-3 file
// through its old index; a read-write open keeps a copy beside it
// (path.format3, which opens and verifies as format 3) and moves the blob
// index into groups: the same contents, every blob found by its hash,
// format 4, and the next backup deduplicates against the old blobs.
func TestFormat3UpgradesToGroups(t *testing.T) {
	path, want := format3DB(t)
	checkFile(t, path) // read-only, format 3
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	blobsByHash(t, ro, want)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, db, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q after a read-write open, want %d", got, FormatVersion)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketBlobIndex3) != nil || tx.Bucket(bucketChunkIndex3) != nil {
			t.Error("a format-3 index is still there")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	blobs := countBlobs(t, db)
	if n := countBlobIndex(t, db); n != blobs {
		t.Errorf("%d index entries for %d blobs", n, blobs)
	}
	chunks := count(t, db, bucketChunks)
	if n := countIndex(t, db, chunkIndex); n != chunks {
		t.Errorf("%d chunk index entries for %d chunks", n, chunks)
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents changed by the upgrade (-before +after):\n%s", diff)
	}
	blobsByHash(t, db, want)
	snapshotOf(t, db, "acme", 300, func(id int) int { return id % 7 / 6 }) // the last snapshot again
	if n := count(t, db, bucketChunks); n != chunks {
		t.Errorf("an unchanged snapshot after the upgrade stored %d chunks", n-chunks)
	}
	s := snapshotOf(t, db, "acme", 310, same) // ten new blobs, the rest reused
	if s.Objects != 310 || countBlobs(t, db) != blobs+10 {
		t.Errorf("snapshot after the upgrade: %d objects, %d blobs, want 310 and %d", s.Objects, countBlobs(t, db), blobs+10)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	// The copy is the format-3 file: a format-3 build's way back.
	cp := path + Format3CopySuffix
	checkFile(t, cp)
	old, err := Open(cp, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if got := metaValue(t, old, keyFormat); got != "3" {
		t.Errorf("the copy has format %q, want 3", got)
	}
	if n := count(t, old, bucketBlobIndex3); n != blobs {
		t.Errorf("the copy's index has %d entries, want %d", n, blobs)
	}
	if n := count(t, old, bucketChunkIndex3); n != chunks {
		t.Errorf("the copy's chunk index has %d entries, want %d", n, chunks)
	}
	if diff := cmp.Diff(want, contents(t, old)); diff != "" {
		t.Errorf("the copy differs from the file before the upgrade (-before +copy):\n%s", diff)
	}
}

// TestFormat3UpgradeStopped stops the upgrade of a format-3 file after
// its copy is kept, as a crash there would: the file is still a sound
// format-3 file with its old index, and the next read-write open
// upgrades it.
func TestFormat3UpgradeStopped(t *testing.T) {
	path, want := format3DB(t)
	copiedHook = func() error { return errors.New("stopped") }
	_, err := Open(path, Options{Logger: quiet})
	copiedHook = nil
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("open with the upgrade stopped: %v", err)
	}
	checkFile(t, path)
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, ro, keyFormat); got != "3" {
		t.Errorf("format %q after the stopped upgrade, want 3", got)
	}
	if diff := cmp.Diff(want, contents(t, ro)); diff != "" {
		t.Errorf("contents after the stopped upgrade (-before +now):\n%s", diff)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := metaValue(t, db, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q after the next open, want %d", got, FormatVersion)
	}
	blobsByHash(t, db, want)
}

// TestFormat3MidPackingUpgrades: a format-3 file that a format-3 build
// left in the middle of its own upgrade from format 2 (the packing mark,
// loose records) is finished too: every blob packed, the index grouped.
func TestFormat3MidPackingUpgrades(t *testing.T) {
	path, want := format3DB(t)
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		if err := unpackAllTx(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyPacking, []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := metaValue(t, db, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q, want %d", got, FormatVersion)
	}
	if metaValue(t, db, keyPacking) != "" || count(t, db, bucketBlobs) != 0 {
		t.Errorf("upgrade not finished: mark %q, %d loose", metaValue(t, db, keyPacking), count(t, db, bucketBlobs))
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents changed by the upgrade (-before +after):\n%s", diff)
	}
	blobsByHash(t, db, want)
}
