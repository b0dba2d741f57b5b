package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// runBitRot damages one byte of a random stored object that the server
// still serves unchanged o.bitRot times, each followed by a backup: the backup must
// find the damaged copy (by comparing it with what it fetched, or because
// verify --repair recorded it: the rounds alternate), store the object
// afresh and list it as healed, and every snapshot must then verify with
// the data read. Last, a chunk record is deleted: verify --repair must
// name it as damage no backup heals, and backup must refuse the database.
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
		id, err := damageRandomBlob(w.db, rng)
		if err != nil {
			return nil, err
		}
		v := w.run("verify", "--read-data")
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
	t.must("panics", panics)
	return t, nil
}

// stableObjects returns the hashes of the objects both of the two newest
// snapshots hold: those the server serves unchanged, which the next backup
// fetches again (an object that changes on the server, or is gone, cannot
// heal: docs/integrity.md).
func stableObjects(path string) ([]snapshot.Hash, error) {
	db, err := snapshot.Open(path, snapshot.Options{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	snaps, err := db.Snapshots("")
	if err != nil || len(snaps) == 0 {
		return nil, fmt.Errorf("snapshots: %d, %v", len(snaps), err)
	}
	last := snaps[len(snaps)-1]
	prev := snaps[max(0, len(snaps)-2)]
	in := func(s *snapshot.Snapshot) (map[snapshot.Hash]bool, error) {
		out := map[snapshot.Hash]bool{}
		for _, c := range db.Collections(s) {
			if err := db.Walk(s, c, func(_ string, h snapshot.Hash) error { out[h] = true; return nil }); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	a, err := in(last)
	if err != nil {
		return nil, err
	}
	b, err := in(prev)
	if err != nil {
		return nil, err
	}
	var out []snapshot.Hash
	for h := range a {
		if b[h] {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(x, y snapshot.Hash) int { return bytes.Compare(x[:], y[:]) })
	return out, nil
}

// damageRandomBlob flips one bit of the compressed bytes of the record of
// a random object the server serves unchanged (a record is a format byte,
// the 32-byte hash, then the bytes) and returns its id.
func damageRandomBlob(path string, rng *rand.Rand) (uint64, error) {
	stable, err := stableObjects(path)
	if err != nil {
		return 0, err
	}
	if len(stable) == 0 {
		return 0, errors.New("no object is in both newest snapshots")
	}
	want := stable[rng.IntN(len(stable))]
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var id uint64
	err = db.Update(func(tx *bbolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		if blobs == nil {
			return errors.New("no blobs bucket")
		}
		c := blobs.Cursor()
		k, v := c.First()
		for ; k != nil && !(len(v) > 33 && bytes.Equal(v[1:33], want[:])); k, v = c.Next() {
		}
		if k == nil {
			return fmt.Errorf("no blob record holds %x", want[:4])
		}
		rec := bytes.Clone(v)
		rec[33+rng.IntN(len(rec)-33)] ^= 1 << rng.IntN(8)
		for _, b := range k {
			id = id<<8 | uint64(b)
		}
		return blobs.Put(bytes.Clone(k), rec)
	})
	return id, err
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
