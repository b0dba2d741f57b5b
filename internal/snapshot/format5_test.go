package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// packFormats counts the packs of each format byte.
func packFormats(t *testing.T, db *DB) map[byte]int {
	t.Helper()
	out := map[byte]int{}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPacks).ForEach(func(_, v []byte) error {
			out[v[0]]++
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// hashesAreContents checks that every object's hash in contents (Walk's)
// is its raw bytes' (WalkObjects') content hash.
func hashesAreContents(t *testing.T, got map[string]string) {
	t.Helper()
	n := 0
	for k, raw := range got {
		if strings.HasSuffix(k, " hash") {
			continue
		}
		h, err := ContentHash([]byte(raw))
		if err != nil || got[k+" hash"] != h.String() {
			t.Fatalf("%s: Walk's hash %s, the content's %s (%v)", k, got[k+" hash"], h, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no objects")
	}
}

// format4DB makes a format-4 database (packs listing their hashes) of
// three snapshots, the last one's index entries left waiting, and returns
// its path and contents.
func format4DB(t *testing.T) (string, map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 300, same)
	snapshotOf(t, db, "acme", 300, func(id int) int { return id % 7 / 6 })
	fileAll(t, db)
	snapshotOf(t, db, "acme", 320, func(id int) int { return id % 5 / 4 }) // entries wait
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	makeFormat4(t, path)
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := metaValue(t, ro, keyFormat); got != "4" {
		t.Fatalf("format %q, want 4", got)
	}
	if f := packFormats(t, ro); f[packFormat] != 0 || f[packFormat4] == 0 {
		t.Fatalf("packs of the format-4 file: %v", f)
	}
	hashesAreContents(t, contents(t, ro))
	return path, contents(t, ro)
}

// TestFormat4UpgradesTo5: a read-only open reads a format-4 file as it
// is; a read-write open keeps a copy beside it (path.format4, format 4,
// the same contents) and marks the file format 5: every object, and every
// hash Walk reports, is what it was; the old packs stay as they are and
// new content goes into packs that list no hashes, while unchanged
// content is still found in the old ones; Verify with data finds nothing.
func TestFormat4UpgradesTo5(t *testing.T) {
	path, want := format4DB(t)
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, db, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q after the upgrade, want %d", got, FormatVersion)
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents changed by the upgrade (-before +after):\n%s", diff)
	}
	blobsByHash(t, db, want)
	before := packFormats(t, db)
	if before[packFormat] != 0 {
		t.Errorf("the upgrade wrote packs: %v", before)
	}
	blobs := countBlobs(t, db)
	snapshotOf(t, db, "acme", 320, func(id int) int { return id % 5 / 4 }) // the last snapshot again
	if n := countBlobs(t, db); n != blobs {
		t.Errorf("an unchanged snapshot after the upgrade stored %d blobs", n-blobs)
	}
	s := snapshotOf(t, db, "acme", 330, func(id int) int { return id % 5 / 4 }) // ten new
	if countBlobs(t, db) != blobs+10 || s.Objects != 330 {
		t.Errorf("after the upgrade: %d objects, %d blobs, want 330 and %d", s.Objects, countBlobs(t, db), blobs+10)
	}
	if f := packFormats(t, db); f[packFormat] != 1 || f[packFormat4] != before[packFormat4] {
		t.Errorf("packs after a backup: %v, before %v", f, before)
	}
	hashesAreContents(t, contents(t, db))
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Errorf("verify --read-data after the upgrade: %v %v", rep.Problems, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	cp := path + Format4CopySuffix
	checkFile(t, cp)
	old, err := Open(cp, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if got := metaValue(t, old, keyFormat); got != "4" {
		t.Errorf("the copy has format %q, want 4", got)
	}
	if diff := cmp.Diff(want, contents(t, old)); diff != "" {
		t.Errorf("the copy differs from the file before the upgrade (-before +copy):\n%s", diff)
	}
}

// TestFormat4UpgradeKilled stops the upgrade of a format-4 file after its
// copy is kept, as a crash there would: the file is still a sound format-4
// file, unchanged, and the next read-write open upgrades it.
func TestFormat4UpgradeKilled(t *testing.T) {
	path, want := format4DB(t)
	copiedHook = func() error { return errors.New("killed") }
	_, err := Open(path, Options{Logger: quiet})
	copiedHook = nil
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("open with the upgrade killed: %v", err)
	}
	checkFile(t, path)
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, ro, keyFormat); got != "4" {
		t.Errorf("format %q after the killed upgrade, want 4", got)
	}
	if diff := cmp.Diff(want, contents(t, ro)); diff != "" {
		t.Errorf("contents after the killed upgrade (-before +now):\n%s", diff)
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
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents after the upgrade (-before +now):\n%s", diff)
	}
}

// TestPacksListNoHashes: a backup's packs are of format 5 and list no
// hashes (a pack of n blobs is 32n bytes shorter than the same pack of
// format 4); Walk reports each object's content hash; objects read back.
func TestPacksListNoHashes(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 100, same)
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPacks).ForEach(func(_, v []byte) error {
			p, err := decodePack(v)
			if err != nil {
				return err
			}
			if v[0] != packFormat || p.hashes != nil {
				return fmt.Errorf("pack of format %d lists hashes: %v", v[0], p.hashes != nil)
			}
			old := encodePack4(p.ids, packHashes(t, p), p.lens, p.frame)
			if len(old)-len(v) < 32*len(p.ids) {
				return fmt.Errorf("pack of %d blobs: %d bytes, %d with hashes", len(p.ids), len(v), len(old))
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	got := contents(t, db)
	hashesAreContents(t, got)
	blobsByHash(t, db, got)
}

// forgeBlob rewrites the pack that holds blob id with raw as that blob's
// content and a checksum that matches: damage a checksum cannot catch.
func forgeBlob(t *testing.T, db *DB, id uint64, edit func([]byte) []byte) {
	t.Helper()
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketPacks).Cursor()
		k, v := c.Seek(idKey(id))
		if k == nil || !bytes.Equal(k, idKey(id)) {
			k, v = c.Prev()
		}
		k = bytes.Clone(k)
		p, err := decodePack(v)
		if err != nil {
			return err
		}
		raw, err := p.unpack()
		if err != nil {
			return err
		}
		var out []byte
		ls := make([]int, len(p.ids))
		for i, bid := range p.ids {
			b := raw[p.offs[i]:p.offs[i+1]]
			if bid == id {
				b = edit(bytes.Clone(b))
			}
			out, ls[i] = append(out, b...), len(b)
		}
		frame, err := compressPack(nil, out)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketPacks).Put(k, encodePack(p.ids, ls, frame))
	}); err != nil {
		t.Fatal(err)
	}
	db.packs = newPackCache() // what the process read before is gone
}

// TestForgedContentFound: content written over in a pack of format 5,
// checksum and all (a pack that lists no hash), is found by Verify with
// data: its content does not hash to the prefix the blob index files its
// id under. Without a record of it, the next backup that brings the
// object refuses to take the id for it (the index or the pack is wrong);
// once a check recorded it, that backup stores it afresh under the same
// id, which heals the old snapshot too.
func TestForgedContentFound(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	h7, _ := ContentHash(item(7, 0))
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error { id = lookupBlobID(tx, h7); return nil }); err != nil || id == 0 {
		t.Fatal(id, err)
	}
	forgeBlob(t, db, id, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"status":"active"`), []byte(`"status":"closed"`), 1) // the same length
	})
	if rep, err := db.Verify(false, nil); err != nil || !rep.OK() {
		t.Errorf("verify without data: %v %v (the checksum holds: only the data tells)", rep.Problems, err)
	}
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Key != "7" || !rep.Problems[0].Content || rep.Structural != 0 || len(rep.DamagedBlobs) != 1 {
		t.Fatalf("verify --read-data: %v, structural %d, damaged %v", rep.Problems, rep.Structural, rep.DamagedBlobs)
	}
	if _, err := db.Blob(h7); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Blob of the forged blob's hash = %v, want ErrCorrupt", err)
	}

	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 40; i++ {
		if err := w.Put("items", "contracts", fmt.Sprint(i), item(i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("backup over the forged blob, unrecorded: %v, want ErrCorrupt", err)
	}
	if _, err := db.RecordCheck(rep); err != nil {
		t.Fatal(err)
	}
	s2 := snapshotOf(t, db, "acme", 40, same)
	if len(s2.Healed) != 1 || s2.Healed[0].Key != "7" {
		t.Errorf("healed %+v, want key 7", s2.Healed)
	}
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("verify after healing: %v %v", rep.Problems, err)
	}
	if raw, ok, err := db.Lookup(s1, "items/contracts", "7"); err != nil || !ok || !bytes.Equal(raw, item(7, 0)) {
		t.Errorf("the first snapshot's object after healing: %q %v %v", raw, ok, err)
	}
}

// TestDedupOtherRawForm: content stored in a pack of format 5 in one raw
// form is found again from another raw form of the same canonical JSON
// (the stored bytes differ, their canonical form's hash is the same): no
// new blob, and the bytes kept are those received first.
func TestDedupOtherRawForm(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 20, same)
	blobs := countBlobs(t, db)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		raw := item(i, 0)
		if i == 7 {
			raw = append([]byte("  "), bytes.ReplaceAll(raw, []byte(`,"`), []byte(`, "`))...)
		}
		if err := w.Put("items", "contracts", fmt.Sprint(i), raw); err != nil {
			t.Fatal(err)
		}
	}
	s2, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if n := countBlobs(t, db); n != blobs {
		t.Errorf("another raw form of stored content stored %d blobs", n-blobs)
	}
	for _, s := range []*Snapshot{s1, s2} {
		if raw, ok, err := db.Lookup(s, "items/contracts", "7"); err != nil || !ok || !bytes.Equal(raw, item(7, 0)) {
			t.Errorf("snapshot %s key 7: %q %v %v", s.ID, raw, ok, err)
		}
	}
}

// TestFormat5SharedPrefix: two blobs of packs of format 5 filed under one
// index prefix (as a prefix collision files them): a lookup by hash
// checks each candidate's content and finds the right one, whichever
// entry comes first, and a backup of either content deduplicates to its
// own blob.
func TestFormat5SharedPrefix(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 30, same)
	fileAll(t, db)
	h3, _ := ContentHash(item(3, 0))
	h9, _ := ContentHash(item(9, 0))
	var id3, id9 uint64
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		id3, id9 = lookupBlobID(tx, h3), lookupBlobID(tx, h9)
		// Blob 3 filed under item 9's prefix too: it comes first there.
		return fileBlobEntries(tx, []filedBlob{{hash: h9, id: id3}})
	}); err != nil || id3 == 0 || id9 == 0 || id3 > id9 {
		t.Fatal(id3, id9, err)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		if ids := blobCandidates(tx, h9, nil); len(ids) != 2 || ids[0] != id3 {
			t.Errorf("candidates of item 9's prefix: %v", ids)
		}
		if got := lookupBlobID(tx, h9); got != id9 {
			t.Errorf("lookup of item 9 = %d, want %d", got, id9)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if raw, err := db.Blob(h9); err != nil || !bytes.Equal(raw, item(9, 0)) {
		t.Errorf("Blob(item 9) = %q, %v", raw, err)
	}
	blobs := countBlobs(t, db)
	snapshotOf(t, db, "acme", 30, same)
	if n := countBlobs(t, db); n != blobs {
		t.Errorf("an unchanged backup stored %d blobs", n-blobs)
	}
}

// TestWaitingDamagedPackHeals: the blobs of a pack of format 5 whose
// index entries still wait when the database closes, and whose pack is
// then damaged, are still found by their hashes on the next open (kept
// apart until filed: the pack lists none, its content no longer reads),
// so the next backup heals them under their ids, every snapshot with them.
func TestWaitingDamagedPackHeals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s1 := snapshotOf(t, db, "acme", 40, same)
	h7, _ := ContentHash(item(7, 0))
	id := db.unfiled.waitingID(h7)
	if id == 0 {
		t.Fatal("the entry of item 7 does not wait")
	}
	if !damageBlob(t, db, id) {
		t.Fatal("not in a pack")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s2 := snapshotOf(t, db, "acme", 40, same)
	if len(s2.Healed) != 40 {
		t.Errorf("healed %d objects, want 40", len(s2.Healed))
	}
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("verify after healing: %v %v", rep.Problems, err)
	}
	if raw, ok, err := db.Lookup(s1, "items/contracts", "7"); err != nil || !ok || !bytes.Equal(raw, item(7, 0)) {
		t.Errorf("the first snapshot's object: %q %v %v", raw, ok, err)
	}
}

// TestForgedNotJSON: content of a format-5 pack written over with bytes
// that are not JSON, checksum and all, is content damage for Verify with
// data (its hash unknown), not a missing index entry; the next backup
// stores the object anew.
func TestForgedNotJSON(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 20, same)
	fileAll(t, db)
	h5, _ := ContentHash(item(5, 0))
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error { id = lookupBlobID(tx, h5); return nil }); err != nil || id == 0 {
		t.Fatal(id, err)
	}
	var key, orig []byte
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketPacks).Cursor()
		k, v := c.Seek(idKey(id))
		if k == nil || !bytes.Equal(k, idKey(id)) {
			k, v = c.Prev()
		}
		key, orig = bytes.Clone(k), bytes.Clone(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	forgeBlob(t, db, id, func(b []byte) []byte { return b[:len(b)/2] })
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Key != "5" || !rep.Problems[0].Content || rep.Structural != 0 {
		t.Fatalf("verify --read-data: %v, structural %d", rep.Problems, rep.Structural)
	}
	if h, ok := rep.DamagedBlobs[id]; !ok || !h.IsZero() {
		t.Errorf("damaged blobs %v, want %d with its hash unknown", rep.DamagedBlobs, id)
	}
	if _, err := db.RecordCheck(rep); err != nil {
		t.Fatal(err)
	}
	// Its pack lists another length than the content's: nothing shows the
	// id is this content's, so the next backup stores it anew (the old
	// snapshot stays damaged) rather than heal the id.
	s := snapshotOf(t, db, "acme", 20, same)
	if len(s.Healed) != 0 {
		t.Errorf("healed %+v", s.Healed)
	}
	if raw, ok, err := db.Lookup(s, "items/contracts", "5"); err != nil || !ok || !bytes.Equal(raw, item(5, 0)) {
		t.Errorf("the new snapshot's object: %q %v %v", raw, ok, err)
	}
	// The pack as it was, so that the cleanup's check passes.
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketPacks).Put(key, orig) }); err != nil {
		t.Fatal(err)
	}
}

// TestWaitingPrefixesReadBack: after a reopen, the waiting entries of
// format-5 blobs come back from their recorded prefixes, without hashing
// their content: an unchanged backup stores nothing new, Blob finds each
// by its hash, and the filing files each under its hash's prefix.
func TestWaitingPrefixesReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 50, same)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.unfiledReady(); err != nil {
		t.Fatal(err)
	}
	if n, m := len(db.unfiled.prefixed), db.unfiled.entries.len(); n != 50 || m != 0 {
		t.Fatalf("read back %d prefixed entries and %d hashed, want 50 and 0", n, m)
	}
	blobs := countBlobs(t, db)
	snapshotOf(t, db, "acme", 50, same)
	if n := countBlobs(t, db); n != blobs {
		t.Errorf("an unchanged backup after a reopen stored %d blobs", n-blobs)
	}
	for i := 1; i <= 50; i++ {
		h, _ := ContentHash(item(i, 0))
		if raw, err := db.Blob(h); err != nil || !bytes.Equal(raw, item(i, 0)) {
			t.Fatalf("Blob(item %d) = %q, %v", i, raw, err)
		}
	}
	fileAll(t, db)
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		for i := 1; i <= 50; i++ {
			h, _ := ContentHash(item(i, 0))
			if id := lookupBlobID(tx, h); id == 0 {
				t.Errorf("item %d is not indexed after the filing", i)
			}
		}
		if n := count(t, db, bucketWaitPrefixes); n != 0 {
			t.Errorf("%d records of waiting prefixes left after the filing", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", rep.Problems, err)
	}
}
