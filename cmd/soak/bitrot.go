package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// runBitRot damages one byte of a random stored pack or object that the
// server still serves unchanged o.bitRot times, each followed by a backup:
// the backup must find the damaged copies (by a pack's checksum, by
// comparing a loose copy with what it fetched, or because verify --repair
// recorded them: the rounds alternate), store the objects afresh and list
// them as healed, and every snapshot must then verify with
// the data read. Last, a chunk record is deleted: verify --repair must
// name it as damage no backup heals, and backup must refuse the database.
// Before that, the healed snapshot is exported as an archive and as a
// directory: every file must be 0600 and every directory 0700.
func runBitRot(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("bit rot: %d bytes of stored objects damaged", o.bitRot)}
	f, err := startFake(fakeapi.Options{Data: "demo", Items: o.items}, nil)
	if err != nil {
		return nil, err
	}
	defer f.close()
	w, err := newWorkdir(o.bin, filepath.Join(o.tmp, "bitrot"), configOptions{url: f.url, envExtra: "concurrency: 4"})
	if err != nil {
		return nil, err
	}
	for range 2 {
		if r := w.run("backup"); r.code != 0 {
			return nil, fmt.Errorf("first backups: exit %d\n%s", r.code, r.out)
		}
	}
	rng := rand.New(rand.NewPCG(o.seed, 4))
	var left, unlisted, refusedHeal, panics int64
	seen, healed, repaired := 0, 0, 0
	var took []float64
	for i := range o.bitRot {
		id, v, err := damageStableBlob(w, rng)
		if err != nil {
			return nil, err
		}
		if v.code == 1 {
			seen++
		}
		if i%2 == 1 {
			rep := w.run("verify", "--repair")
			if rep.code != 0 && rep.code != 1 || panicked(rep.out) {
				panics++
				t.note("round %d: verify --repair: exit %d: %s", i, rep.code, firstLine(rep.out))
			}
			repaired++
		}
		b := w.run("backup", "--json")
		took = append(took, b.took.Seconds())
		if b.code != 0 {
			refusedHeal++
			t.note("round %d: the backup after blob %d was damaged: exit %d: %s", i, id, b.code, firstLine(b.out))
			continue
		}
		n := healedCount(b.stdout)
		healed += n
		after := w.run("verify", "--read-data")
		if after.code != 0 {
			left++
			t.note("round %d: blob %d still damaged after the backup: %s", i, id, firstLine(after.out))
		}
		if v.code == 1 && n == 0 {
			unlisted++
			t.note("round %d: the backup healed blob %d without listing it", i, id)
		}
		for _, r := range []result{v, b, after} {
			if panicked(r.out) {
				panics++
			}
		}
	}
	// The healed snapshots export as private files, whatever the umask
	// (the soak's is usually 022).
	var openModes int64
	tarPath, dirPath := filepath.Join(w.dir, "acme.tar.gz"), filepath.Join(w.dir, "acme-export")
	if r := w.run("export", "--snapshot", "latest", "--output", tarPath, "--quiet"); r.code != 0 {
		openModes++
		t.note("export to %s: exit %d: %s", filepath.Base(tarPath), r.code, firstLine(r.out))
	}
	if r := w.run("export", "--snapshot", "latest", "--output", dirPath, "--quiet"); r.code != 0 {
		openModes++
		t.note("export to a directory: exit %d: %s", r.code, firstLine(r.out))
	}
	files := 0
	_ = filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || (p != tarPath && !strings.HasPrefix(p, dirPath)) {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		files++
		if fi.Mode().Perm() != want {
			openModes++
			t.note("export: %s has mode %v, want %v", strings.TrimPrefix(p, w.dir), fi.Mode().Perm(), want)
		}
		return nil
	})
	// Structural damage: no backup heals it, and backups refuse to write.
	if err := deleteFirstChunk(w.db); err != nil {
		return nil, err
	}
	var wroteIntoDamage int64
	rep := w.run("verify", "--repair")
	b := w.run("backup")
	if rep.code != 1 || b.code == 0 || !strings.Contains(b.out, "verify --repair") {
		wroteIntoDamage++
		t.note("after a chunk was deleted: verify --repair exit %d, backup exit %d: %s", rep.code, b.code, firstLine(b.out))
	}
	t.add("workspace", "%d items; a backup takes %.2fs (median)", 3*o.items, median(took))
	t.add("damaged bytes", "%d: %d seen by verify --read-data, %d recorded by verify --repair first", o.bitRot, seen, repaired)
	t.add("objects the next backup listed as healed", "%d", healed)
	t.must("damage left after the next backup (verify --read-data)", left)
	t.must("backups that healed without listing it", unlisted)
	t.must("backups that failed over a damaged object", refusedHeal)
	t.must("backups that wrote into structural damage", wroteIntoDamage)
	t.add("exports of the healed snapshot", "%d files and directories checked", files)
	t.must("export files not 0600 or directories not 0700", openModes)
	t.must("panics", panics)
	return t, nil
}

// damageStableBlob flips one bit of the compressed bytes of a random pack
// or loose record whose objects are in both newest snapshots, so that the server serves it
// unchanged and the next backup fetches it again (an object that changes
// on the server, or is gone, cannot heal: docs/integrity.md). It returns
// the blob's id and verify --read-data's run that saw the damage.
func damageStableBlob(w *workdir, rng *rand.Rand) (uint64, result, error) {
	snaps, err := listSnapshots(w)
	if err != nil || len(snaps) < 2 {
		return 0, result{}, fmt.Errorf("snapshots: %d, %v", len(snaps), err)
	}
	newest, before := snaps[len(snaps)-1].ID, snaps[len(snaps)-2].ID
	for range 50 {
		id, undo, err := flipRandomBlob(w.db, rng)
		if err != nil {
			return 0, result{}, err
		}
		v := w.run("verify", "--read-data", "--json")
		var rep struct {
			Problems []struct {
				Snapshot string `json:"snapshot"`
			} `json:"problems"`
		}
		_ = json.Unmarshal([]byte(v.stdout), &rep)
		in := map[string]bool{}
		for _, p := range rep.Problems {
			in[p.Snapshot] = true
		}
		if in[newest] && in[before] {
			return id, v, nil
		}
		if err := undo(); err != nil {
			return 0, result{}, err
		}
	}
	return 0, result{}, errors.New("no damaged object in both newest snapshots after 50 tries")
}

// flipRandomBlob flips one bit of the compressed bytes of a random stored
// record of objects: a pack (objects compressed together: the bit damages
// all of them) or a loose record (one object stored alone after damage),
// and returns its key as a number and how to flip it back.
func flipRandomBlob(path string, rng *rand.Rand) (uint64, func() error, error) {
	var bucket, key []byte
	var at int
	var bit byte
	flip := func() error {
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Update(func(tx *bbolt.Tx) error {
			if key == nil {
				packs, loose := tx.Bucket([]byte("packs")), tx.Bucket([]byte("blobs"))
				if packs == nil || loose == nil {
					return errors.New("no packs or blobs bucket")
				}
				np, nl := packs.Stats().KeyN, loose.Stats().KeyN
				if np+nl == 0 {
					return errors.New("no stored objects")
				}
				skip := rng.IntN(np + nl)
				b := packs
				if skip >= np {
					b, skip = loose, skip-np
				}
				c := b.Cursor()
				k, v := c.First()
				for ; k != nil && skip > 0; k, v = c.Next() {
					skip--
				}
				from := 33 // a loose record: a format byte, the hash, the bytes
				if b == packs {
					from = packFrame(v)
				}
				if k == nil || from <= 0 || len(v) <= from {
					return fmt.Errorf("record of %d bytes", len(v))
				}
				bucket = []byte("blobs")
				if b == packs {
					bucket = []byte("packs")
				}
				key, at, bit = bytes.Clone(k), from+rng.IntN(len(v)-from), byte(1)<<rng.IntN(8)
			}
			b := tx.Bucket(bucket)
			rec := bytes.Clone(b.Get(key))
			rec[at] ^= bit
			return b.Put(key, rec)
		})
	}
	if err := flip(); err != nil {
		return 0, nil, err
	}
	var id uint64
	for _, b := range key {
		id = id<<8 | uint64(b)
	}
	return id, flip, nil
}

// packFrame returns where a pack record's compressed bytes start, after
// its header (whose layout differs between database formats: see
// internal/snapshot/packs.go), or -1: the zstd frame's magic number.
func packFrame(rec []byte) int {
	return bytes.Index(rec, []byte{0x28, 0xb5, 0x2f, 0xfd})
}

// deleteFirstChunk deletes the first record of the chunks bucket.
func deleteFirstChunk(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bbolt.Tx) error {
		chunks := tx.Bucket([]byte("chunks"))
		if chunks == nil {
			return errors.New("no chunks bucket")
		}
		k, _ := chunks.Cursor().First()
		if k == nil {
			return errors.New("no chunks")
		}
		return chunks.Delete(bytes.Clone(k))
	})
}

// healedCount counts the objects listed as healed in backup --json output
// (one object per line per snapshot).
func healedCount(stdout string) int {
	n := 0
	for _, line := range strings.Split(stdout, "\n") {
		var s snapshotRecord
		if json.Unmarshal([]byte(line), &s) == nil {
			n += len(s.Healed)
		}
	}
	return n
}
