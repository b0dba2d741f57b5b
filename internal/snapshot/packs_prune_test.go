package snapshot

import (
	"bytes"
	"errors"
	"testing"

	"go.etcd.io/bbolt"
)

// TestRepackRefusesDamage: prune rewrites a half-dead pack only when the
// pack passes its checksum and every blob it keeps hashes to its
// address; otherwise the rewrite would seal damaged bytes under a fresh,
// valid checksum that the next backup trusts, and they would never heal.
func TestRepackRefusesDamage(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 40, same)
	var rec []byte
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		_, v := tx.Bucket(bucketPacks).Cursor().First()
		rec = bytes.Clone(v)
		return nil
	}); err != nil || rec == nil {
		t.Fatalf("no pack: %v", err)
	}
	p, err := decodePack(rec)
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]bool, len(p.ids))
	for i := range keep {
		keep[i] = i%3 == 0
	}
	if _, err := repack(rec, keep); err != nil {
		t.Fatalf("repack of a sound pack: %v", err)
	}

	flipped := bytes.Clone(rec)
	flipped[len(flipped)-3] ^= 0x20
	if _, err := repack(flipped, keep); !errors.Is(err, ErrCorrupt) {
		t.Errorf("repack of a pack failing its checksum = %v, want ErrCorrupt", err)
	}

	// A pack whose checksum is sound but which files a blob under another
	// hash (damage from before the checksum was made).
	hashes := make([]Hash, len(p.ids))
	for i := range hashes {
		hashes[i] = packHashes(t, p)[i]
	}
	hashes[3][0] ^= 1
	wrong := encodePack4(p.ids, hashes, p.lens, p.frame)
	if _, err := repack(wrong, keep); !errors.Is(err, ErrCorrupt) {
		t.Errorf("repack keeping a blob that does not hash to its address = %v, want ErrCorrupt", err)
	}
	keep[3] = false
	if _, err := repack(wrong, keep); err != nil {
		t.Errorf("repack dropping that blob: %v", err)
	}
}
