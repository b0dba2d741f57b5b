package snapshot

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// t0 is the tests' fixed clock.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// openTest opens a fresh database in a temporary directory. Its cleanup
// closes it, reopens the file read-only and fails the test unless
// Verify(true) finds it sound.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openTestOpts(t, Options{})
}

func openTestOpts(t testing.TB, opts Options) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshots.db")
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	db, err := Open(path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkFile(t, path)
	})
	return db
}

// checkFile verifies the database at path from a read-only open.
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := Open(path, Options{ReadOnly: true, Logger: quiet, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Errorf("reopen for verify: %v", err)
		return
	}
	defer db.Close()
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Errorf("verify: %v", err)
		return
	}
	for _, p := range rep.Problems {
		t.Errorf("verify: %s", p)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	}); err != nil {
		t.Errorf("bbolt check: %v", err)
	}
}

// item returns an item's JSON of about 400 bytes, like the API's.
func item(id int, rev int) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"type":"contracts","data":{"name":"Contract %d","number":"C-%06d","status":"active","value":%d.%02d,"notes":"revision %d of a contract kept for the tests; %s"},"user":{"id":9,"email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},"created_at":"2026-01-02T03:04:05.000Z","updated_at":"2026-01-%02dT03:04:05.000Z"}`,
		id, id, id, id*37%100000, id%100, rev, strings.Repeat("x", id%40), 1+rev%28))
}

// snapshotOf commits one snapshot of n items (ids 1..n) of collection
// items/contracts, with revision rev(id).
func snapshotOf(t testing.TB, db *DB, ws string, n int, rev func(id int) int) *Snapshot {
	t.Helper()
	w, err := db.Begin(ws, t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, rev(id))); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fileAll files every waiting blob index entry, for tests that read or
// damage the index.
func fileAll(t testing.TB, db *DB) {
	t.Helper()
	if err := db.fileBlobs(nil); err != nil {
		t.Fatal(err)
	}
}

func same(int) int { return 0 }

// count returns the number of keys in a top-level bucket.
func count(t testing.TB, db *DB, bucket []byte) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// walkAll returns a collection's keys and hashes in order.
func walkAll(t testing.TB, db *DB, s *Snapshot, coll string) ([]string, []Hash) {
	t.Helper()
	var keys []string
	var hashes []Hash
	if err := db.Walk(s, coll, func(k string, h Hash) error {
		keys = append(keys, k)
		hashes = append(hashes, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys, hashes
}

// countBlobs returns the number of blobs stored: loose records and the
// blobs the packs list.
func countBlobs(t testing.TB, db *DB) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketBlobs).Stats().KeyN
		return tx.Bucket(bucketPacks).ForEach(func(_, v []byte) error {
			p, err := decodePack(v)
			n += len(p.ids)
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// encodePack4 makes a pack record of format 4, which lists each blob's
// hash: what format-4 builds wrote (and what tests forge hashes in).
func encodePack4(ids []uint64, hashes []Hash, lens []int, frame []byte) []byte {
	rec := []byte{packFormat4, 0, 0, 0, 0}
	rec = binary.AppendUvarint(rec, uint64(len(ids)))
	rec = binary.AppendUvarint(rec, ids[0])
	rec = append(rec, 1)
	for i := 1; i < len(ids); i++ {
		rec = binary.AppendUvarint(rec, ids[i]-ids[i-1])
	}
	for _, n := range lens {
		rec = binary.AppendUvarint(rec, uint64(n))
	}
	for i := range hashes {
		rec = append(rec, hashes[i][:]...)
	}
	rec = append(rec, frame...)
	binary.BigEndian.PutUint32(rec[1:5], crc32.Checksum(rec[5:], castagnoli))
	return rec
}

// packHashes returns the hashes of a pack's blobs: those it lists, else
// (format 5) its content's.
func packHashes(t testing.TB, p packView) []Hash {
	t.Helper()
	hs, err := packHashesErr(p)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func packHashesErr(p packView) ([]Hash, error) {
	hs := make([]Hash, len(p.ids))
	var raw []byte
	for i := range hs {
		h, ok := p.hash(i)
		if !ok {
			var err error
			if raw == nil {
				if raw, err = p.unpack(); err != nil {
					return nil, err
				}
			}
			if h, err = ContentHash(raw[p.offs[i]:p.offs[i+1]]); err != nil {
				return nil, err
			}
		}
		hs[i] = h
	}
	return hs, nil
}

// loadRoot reads and decodes a full tree's root.
func (db *DB) loadRoot(h Hash) (int, []chunkRef, error) {
	b, err := db.getCopy(bucketRoots, h[:])
	if err != nil {
		return 0, nil, fmt.Errorf("root %s: %w", h.Short(), err)
	}
	return decodeIndex(b)
}

// collectionTree returns the children of the full tree under a
// snapshot's collection (a patch's base) and their level (0: chunks).
func (db *DB) collectionTree(snap *Snapshot, collection string) (int, []chunkRef, error) {
	v, err := db.collectionView(snap, collection)
	if err != nil || v == nil {
		return 0, nil, err
	}
	return v.level - 1, v.refs, nil
}

// collectionRefs returns the chunk list of the full tree under a
// snapshot's collection (a patch's base).
func (db *DB) collectionRefs(snap *Snapshot, collection string) ([]chunkRef, error) {
	v, err := db.collectionView(snap, collection)
	if err != nil {
		return nil, err
	}
	return db.chunkRefs(v)
}
