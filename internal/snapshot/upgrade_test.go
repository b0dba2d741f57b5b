package snapshot

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
)

// makeFormat2 rewrites the closed database at path the way a format-2 build
// stores it: every blob a loose record (hash, then its own zstd frame),
// no packs bucket, format "2".
func makeFormat2(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		if err := ungroupIndexTx(tx); err != nil {
			return err
		}
		if err := unpackAllTx(tx); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketPacks); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
}

// makeFormat3 rewrites the closed database at path the way a format-3
// build stores it: the blob index keyed by full hashes, format "3".
func makeFormat3(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		if err := listHashesTx(tx, encodePack3); err != nil {
			return err
		}
		if err := ungroupIndexTx(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte("3"))
	}); err != nil {
		t.Fatal(err)
	}
}

// listHashesTx rewrites every pack of format 5 the way an older build
// wrote it (enc: encodePack3 or encodePack4), listing each blob's hash,
// the frame unchanged.
func listHashesTx(tx *bbolt.Tx, enc func(ids []uint64, hashes []Hash, lens []int, frame []byte) []byte) error {
	packs := tx.Bucket(bucketPacks)
	type kv struct{ k, v []byte }
	var out []kv
	err := packs.ForEach(func(k, v []byte) error {
		p, err := decodePack(v)
		if err != nil {
			return err
		}
		if p.hashes != nil {
			return nil
		}
		hs, err := packHashesErr(p)
		if err != nil {
			return err
		}
		out = append(out, kv{bytes.Clone(k), enc(p.ids, hs, p.lens, p.frame)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range out {
		if err := packs.Put(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}

// makeFormat4 rewrites the closed database at path the way a format-4
// build stores it: packs that list their blobs' hashes, format "4".
func makeFormat4(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		if err := listHashesTx(tx, encodePack4); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte("4"))
	}); err != nil {
		t.Fatal(err)
	}
}

// ungroupIndexTx replaces the grouped blob and chunk indexes by the
// format-3 ones (full hash -> idValue), the hashes read from the blobs'
// records and the chunks' bytes.
func ungroupIndexTx(tx *bbolt.Tx) error {
	chunks, err := tx.CreateBucket(bucketChunkIndex3)
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketChunkGroups).ForEach(func(_, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			return err
		}
		for _, e := range g.entries() {
			h := hashOf(tx.Bucket(bucketChunks).Get(idKey(e.id)))
			if err := chunks.Put(h[:], idValue(e.id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket(bucketChunkGroups); err != nil {
		return err
	}
	old, err := tx.CreateBucket(bucketBlobIndex3)
	if err != nil {
		return err
	}
	l := newLocator(tx)
	err = tx.Bucket(bucketBlobGroups).ForEach(func(_, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			return err
		}
		for _, e := range g.entries() {
			at, err := l.locate(e.id)
			if err != nil {
				return err
			}
			if err := old.Put(at.hash[:], idValue(e.id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bucketBlobGroups)
}

// unpackAll stores every packed blob of db as a loose record and deletes
// the packs: the layout of format 2, for the benchmarks of loose records.
func unpackAll(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.bolt.Update(unpackAllTx); err != nil {
		tb.Fatal(err)
	}
}

func unpackAllTx(tx *bbolt.Tx) error {
	loose, packs := tx.Bucket(bucketBlobs), tx.Bucket(bucketPacks)
	var keys [][]byte
	err := packs.ForEach(func(k, v []byte) error {
		keys = append(keys, bytes.Clone(k))
		p, err := decodePack(v)
		if err != nil {
			return err
		}
		raw, err := p.unpack()
		if err != nil {
			return err
		}
		hs, err := packHashesErr(p)
		if err != nil {
			return err
		}
		for i, id := range p.ids {
			rec, err := packBlob(hs[i], raw[p.offs[i]:p.offs[i+1]])
			if err != nil {
				return err
			}
			if err := loose.Put(idKey(id), rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := packs.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// contents returns every object of every snapshot, by snapshot, key and
// raw bytes, through WalkObjects, and the hashes Walk reports.
func contents(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	snaps, err := db.Snapshots("")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		for _, c := range db.Collections(s) {
			if err := db.WalkObjects(s, c, func(k string, raw []byte) error {
				out[s.ID+" "+c+" "+k] = string(raw)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.Walk(s, c, func(k string, h Hash) error {
				out[s.ID+" "+c+" "+k+" hash"] = h.String()
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func metaValue(t *testing.T, db *DB, key []byte) string {
	t.Helper()
	var v string
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// format2DB makes a format-2 database of two snapshots at a new path and
// returns the path and its contents.
func format2DB(t *testing.T) (string, map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snapshotOf(t, db, "acme", 300, same)
	snapshotOf(t, db, "acme", 300, func(id int) int { return id % 7 / 6 })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	makeFormat2(t, path)
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := metaValue(t, ro, keyFormat); got != "2" {
		t.Fatalf("format %q, want 2", got)
	}
	return path, contents(t, ro)
}

// TestFormat2UpgradesToPacks: a read-only open reads a format-2 file as it
// is; a read-write open keeps a copy of it beside (path.format2), which
// opens and verifies as format 2, and moves every blob into packs under
// the same ids: the same snapshots, keys, hashes and bytes, format 3.
func TestFormat2UpgradesToPacks(t *testing.T) {
	path, want := format2DB(t)
	checkFile(t, path) // read-only, format 2

	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, db, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q after a read-write open, want %d", got, FormatVersion)
	}
	if got := metaValue(t, db, keyPacking); got != "" {
		t.Errorf("the packing mark is still there: %q", got)
	}
	if n := count(t, db, bucketBlobs); n != 0 {
		t.Errorf("%d loose blobs after the upgrade, want 0", n)
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents changed by the upgrade (-before +after):\n%s", diff)
	}
	// Every object is found by its hash: the index entries that waited
	// (none was filed before the upgrade) are filed.
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
	s := snapshotOf(t, db, "acme", 310, same) // writes on top: ten new blobs
	if s.Objects != 310 {
		t.Errorf("snapshot after the upgrade holds %d objects", s.Objects)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)

	// The copy is the format-2 file: an older build's way back.
	cp := path + Format2CopySuffix
	checkFile(t, cp)
	old, err := Open(cp, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if got := metaValue(t, old, keyFormat); got != "2" {
		t.Errorf("the copy has format %q, want 2", got)
	}
	if err := old.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketPacks) != nil {
			t.Error("the copy has a packs bucket")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, contents(t, old)); diff != "" {
		t.Errorf("the copy differs from the file before the upgrade (-before +copy):\n%s", diff)
	}
}

const upgradeCrashEnv = "SNAPSHOT_TEST_UPGRADE_CRASH_DB"

// TestUpgradeCrashChild is the child process of TestUpgradeKilled: it opens
// a format-2 file with small batches, says so after the upgrade's first
// batch is committed and waits to be killed.
func TestUpgradeCrashChild(t *testing.T) {
	path := os.Getenv(upgradeCrashEnv)
	if path == "" {
		t.Skip("child process of TestUpgradeKilled")
	}
	packingHook = func(batch int) error {
		if batch == 2 {
			fmt.Println("ready")
			_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // blocks until killed
			os.Exit(3)
		}
		return nil
	}
	_, err := Open(path, Options{Logger: quiet, BatchObjects: 50})
	fmt.Println("error", err)
	os.Exit(1)
}

// TestUpgradeKilled kills a process in the middle of the upgrade (two
// batches of blobs moved into packs, the rest loose): the file is a sound
// format-3 database with the same contents, older builds refuse it, and
// the next read-write open finishes the upgrade.
func TestUpgradeKilled(t *testing.T) {
	t.Parallel()
	path, want := format2DB(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestUpgradeCrashChild$")
	cmd.Env = append(os.Environ(), upgradeCrashEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	checkFile(t, path) // sound, read-only, half moved
	ro, err := Open(path, Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaValue(t, ro, keyFormat); got != fmt.Sprint(FormatVersion) {
		t.Errorf("format %q mid-upgrade, want %d (older builds refuse it)", got, FormatVersion)
	}
	if metaValue(t, ro, keyPacking) == "" || count(t, ro, bucketBlobs) == 0 || count(t, ro, bucketPacks) == 0 {
		t.Errorf("not killed mid-upgrade: mark %q, %d loose, %d packs",
			metaValue(t, ro, keyPacking), count(t, ro, bucketBlobs), count(t, ro, bucketPacks))
	}
	if diff := cmp.Diff(want, contents(t, ro)); diff != "" {
		t.Errorf("contents mid-upgrade (-before +now):\n%s", diff)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + Format2CopySuffix); err != nil {
		t.Errorf("no copy of the format-2 file: %v", err)
	}

	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if metaValue(t, db, keyPacking) != "" || count(t, db, bucketBlobs) != 0 {
		t.Errorf("upgrade not finished: mark %q, %d loose", metaValue(t, db, keyPacking), count(t, db, bucketBlobs))
	}
	if diff := cmp.Diff(want, contents(t, db)); diff != "" {
		t.Errorf("contents after the upgrade (-before +after):\n%s", diff)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
}

// TestPackRoundTrip: a pack record decodes to what it was made of, and
// any flipped byte fails its checksum.
func TestPackRoundTrip(t *testing.T) {
	ids := []uint64{3, 4, 9, 1000}
	var hashes []Hash
	var lens []int
	var raw []byte
	for i := range ids {
		b := item(i, 0)
		h, _ := ContentHash(b)
		hashes, lens, raw = append(hashes, h), append(lens, len(b)), append(raw, b...)
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	rec := encodePack(ids, lens, frame)
	if !packSumOK(rec) {
		t.Fatal("a fresh pack fails its checksum")
	}
	d, err := decodePackRecord(bytes.Clone(rec))
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		got, ok := d.blob(id)
		if !ok || !bytes.Equal(got, item(i, 0)) {
			t.Errorf("blob %d: %q %v", id, got, ok)
		}
	}
	if _, ok := d.blob(5); ok {
		t.Error("blob 5 found in a pack without it")
	}
	if c := checkPack(rec); c.all != "" || len(c.bad) != 0 {
		t.Errorf("check of a sound pack: %+v", c)
	}
	for i := 1; i < len(rec); i++ {
		bad := bytes.Clone(rec)
		bad[i] ^= 1
		if packSumOK(bad) {
			t.Fatalf("flipping byte %d passes the checksum", i)
		}
	}
}

// TestUpgradeLeavesRottedRecordsLoose: a format-2 record that still
// decompresses but whose content no longer hashes to its address is not
// packed (a pack's sound checksum would make later backups trust it): it
// stays loose, verify names it, and the next backup of the content heals
// it.
func TestUpgradeLeavesRottedRecordsLoose(t *testing.T) {
	path, _ := format2DB(t)
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rotted uint64
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		k, v := b.Cursor().First()
		h, frame, err := decodeBlob(v)
		if err != nil {
			return err
		}
		raw, err := decompress(frame)
		if err != nil {
			return err
		}
		bad := bytes.Replace(raw, []byte("1"), []byte("2"), 1)
		if bytes.Equal(bad, raw) {
			bad = append([]byte(`{"rotted":true,"was":`), append(raw, '}')...)
		}
		rec, err := packBlob(h, bad)
		if err != nil {
			return err
		}
		rotted, _ = idFromKey(k)
		return b.Put(bytes.Clone(k), rec)
	})
	if cerr := bdb.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := count(t, db, bucketBlobs); n != 1 {
		t.Errorf("%d loose blobs after the upgrade, want the rotted one alone", n)
	}
	rep, err := db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.DamagedBlobs[rotted]; !ok || len(rep.DamagedBlobs) != 1 {
		t.Errorf("verify --read-data names damaged blobs %v, want only %d", rep.DamagedBlobs, rotted)
	}
}
