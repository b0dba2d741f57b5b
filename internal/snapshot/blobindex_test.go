package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// setBlobIndex files h under id in the blob index, replacing what its
// prefix held; id 0 only removes.
func setBlobIndex(tx *bbolt.Tx, h Hash, id uint64) error {
	groups := tx.Bucket(bucketBlobGroups)
	p := prefixOf(h)
	k, v := groupAt(groups.Cursor(), p)
	if v != nil {
		g, err := decodeGroup(v)
		if err != nil {
			return err
		}
		var kept []indexEntry
		for _, e := range g.entries() {
			if e.prefix != p {
				kept = append(kept, e)
			}
		}
		k = append([]byte(nil), k...)
		if err := groups.Delete(k); err != nil {
			return err
		}
		if len(kept) > 0 {
			if err := groups.Put(prefixKey(kept[0].prefix), encodeGroup(kept)); err != nil {
				return err
			}
		}
	}
	if id == 0 {
		return nil
	}
	return fileBlobEntries(tx, []filedBlob{{hash: h, id: id}})
}

// countBlobIndex counts the blob index's entries.
func countBlobIndex(t testing.TB, db *DB) int {
	t.Helper()
	return countIndex(t, db, blobIndex)
}

// countIndex counts the entries of a group index.
func countIndex(t testing.TB, db *DB, x *groupIndex) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(x.bucket).ForEach(func(_, v []byte) error {
			g, err := decodeGroup(v)
			n += g.len()
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBlobIndexGroups files entries in several filings and sweeps half:
// every entry is found by its hash, no group exceeds groupMax, and one
// prefix's entries stay in one group.
func TestBlobIndexGroups(t *testing.T) {
	db := openTest(t)
	hashes := make([]Hash, 20_000)
	for i := range hashes {
		hashes[i] = hashOf(fmt.Appendf(nil, "blob %d", i))
	}
	// Two entries share a prefix: another blob of the same first 6 bytes.
	twin := hashes[5]
	twin[31] ^= 1
	hashes = append(hashes, twin)
	file := func(from, to int) {
		var part []filedBlob
		for i := from; i < to; i++ {
			part = append(part, filedBlob{hash: hashes[i], id: uint64(i + 1)})
		}
		slices.SortFunc(part, func(a, b filedBlob) int { return bytes.Compare(a.hash[:], b.hash[:]) })
		if err := db.bolt.Update(func(tx *bbolt.Tx) error { return fileBlobEntries(tx, part) }); err != nil {
			t.Fatal(err)
		}
	}
	file(0, 3000) // one group
	file(3000, 3100)
	file(3100, len(hashes)) // splits
	check := func(live func(id uint64) bool) {
		t.Helper()
		if err := db.bolt.View(func(tx *bbolt.Tx) error {
			var last uint64
			n := 0
			err := tx.Bucket(bucketBlobGroups).ForEach(func(k, v []byte) error {
				g, err := decodeGroup(v)
				if err != nil {
					return err
				}
				if g.len() > groupMax || len(k) != prefixLen || getPrefix(k) != g.at(0).prefix {
					t.Errorf("group %x: %d entries, first %x", k, g.len(), g.at(0).prefix)
				}
				if n > 0 && g.at(0).prefix <= last {
					t.Errorf("group %x starts at or below the last prefix of the one before", k)
				}
				last, n = g.at(g.len()-1).prefix, n+1
				return nil
			})
			if n < 2 {
				t.Errorf("%d groups", n)
			}
			for i, h := range hashes {
				id := uint64(i + 1)
				if got := indexedUnder(tx, h, id); got != live(id) {
					t.Errorf("entry %d under its hash: %v, want %v", id, got, live(id))
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	check(func(uint64) bool { return true })
	removed, _, err := db.sweepIndex(blobIndex, func(id uint64) bool { return id%2 == 0 })
	if err != nil || removed != (len(hashes)+1)/2 {
		t.Fatalf("swept %d, %v; want %d", removed, err, (len(hashes)+1)/2)
	}
	check(func(id uint64) bool { return id%2 == 0 })
	if n := countBlobIndex(t, db); n != len(hashes)/2 {
		t.Errorf("%d entries left, want %d", n, len(hashes)/2)
	}
}

// TestBlobIndexPrefixCollision: content whose hash shares its index
// prefix with a stored blob's (made here by editing the stored blob's
// hash in its pack, checksum and all) is new content: stored under a new
// id, found by its hash beside the other. With the other blob's pack
// failing its checksum too: healing that id with this content would
// overwrite the other blob, so it is stored anew the same way.
func TestBlobIndexPrefixCollision(t *testing.T) {
	// The other blob's pack sound, failing its checksum, or not decoding
	// at all (its hash unreadable: nothing shows the id is another
	// blob's, nor that it is this content's).
	for _, damage := range []string{"none", "checksum", "header"} {
		t.Run("damage="+damage, func(t *testing.T) {
			testPrefixCollision(t, damage)
		})
	}
}

func testPrefixCollision(t *testing.T, damage string) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 3, same)
	fileAll(t, db)
	hx, _ := ContentHash(item(4, 0)) // not stored yet
	h1, _ := ContentHash(item(1, 0))
	fake := hx
	fake[31] ^= 0xff
	var id1 uint64
	var key, orig []byte
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		id1 = lookupBlobID(tx, h1)
		packs := tx.Bucket(bucketPacks)
		k, v := packs.Cursor().First()
		key, orig = bytes.Clone(k), bytes.Clone(v)
		p, err := decodePack(v)
		if err != nil {
			return err
		}
		hs := packHashes(t, p)
		for i := range hs {
			if hs[i] == h1 {
				hs[i] = fake
			}
		}
		rec := encodePack4(p.ids, hs, p.lens, p.frame)
		switch damage {
		case "checksum":
			rec[len(rec)-1] ^= 1
		case "header":
			rec[0] = 0xee
		}
		if err := packs.Put(key, rec); err != nil {
			return err
		}
		if err := setBlobIndex(tx, h1, 0); err != nil {
			return err
		}
		return setBlobIndex(tx, fake, id1)
	})
	if err != nil || id1 == 0 {
		t.Fatal(id1, err)
	}
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	// Referring to the content by hash alone (PutHashed without bytes)
	// must not take the other blob's id.
	if err := w.PutHashed("items", "contracts", "4", hx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("commit of a reference by hash to content the database lacks: %v, want ErrInvalid", err)
	}
	if w, err = db.Begin("acme", t0); err != nil {
		t.Fatal(err)
	}
	if err := w.Put("items", "contracts", "4", item(4, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
		t.Fatalf("commit of content whose prefix another blob has: %v", err)
	}
	fileAll(t, db)
	if raw, err := db.Blob(hx); err != nil || !bytes.Equal(raw, item(4, 0)) {
		t.Errorf("Blob(%s) = %q, %v", hx.Short(), raw, err)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		if id := lookupBlobID(tx, hx); id == id1 || id == 0 {
			t.Errorf("the new content has id %d, the other blob %d", id, id1)
		}
		if id := lookupBlobID(tx, fake); id != id1 {
			t.Errorf("the other blob is found under %d, want %d", id, id1)
		}
		if tx.Bucket(bucketBlobs).Get(idKey(id1)) != nil {
			t.Errorf("blob %d was stored afresh with another blob's content", id1)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Mend blob 1 for the check at the end of the test.
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketPacks).Put(key, orig); err != nil {
			return err
		}
		if err := fileBlobEntries(tx, []filedBlob{{hash: h1, id: id1}}); err != nil {
			return err
		}
		return dropEntry(tx, fake, id1) // keeps the new content's entry
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dropEntry removes the entry of h under id.
func dropEntry(tx *bbolt.Tx, h Hash, id uint64) error {
	groups := tx.Bucket(bucketBlobGroups)
	k, v := groupAt(groups.Cursor(), prefixOf(h))
	g, err := decodeGroup(v)
	if err != nil {
		return err
	}
	es := slices.DeleteFunc(g.entries(), func(e indexEntry) bool { return e == indexEntry{prefixOf(h), id} })
	if err := groups.Delete(bytes.Clone(k)); err != nil {
		return err
	}
	return groups.Put(prefixKey(es[0].prefix), encodeGroup(es))
}

// TestBlobIndexDamagedGroupRebuilt damages the blob index's one group
// record: Verify names every blob as not indexed, deduplication misses
// nothing it cannot redo, and the next filing rebuilds the group from the
// packs' headers, after which every blob is found by its hash again and
// Prune works.
func TestBlobIndexDamagedGroupRebuilt(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 300, same)
	fileAll(t, db)
	_, hashes := walkAll(t, db, s, "items/contracts")
	damage := func() {
		t.Helper()
		if err := db.bolt.Update(func(tx *bbolt.Tx) error {
			k, _ := tx.Bucket(bucketBlobGroups).Cursor().First()
			return tx.Bucket(bucketBlobGroups).Put(bytes.Clone(k), []byte("not a group"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	damage()
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 301 || !strings.Contains(rep.Problems[0].Err, "the blob index group") || !strings.Contains(rep.Problems[1].Err, "the index does not file its hash") {
		t.Fatalf("%d problems (%v), want the 300 blobs not indexed", len(rep.Problems), rep.Problems[:min(1, len(rep.Problems))])
	}
	snapshotOf(t, db, "acme", 310, same)
	fileAll(t, db)
	if rep, err := db.Verify(true, nil); err != nil || !rep.OK() {
		t.Fatalf("verify after the filing = %v, %v", rep.Problems, err)
	}
	for _, h := range hashes {
		if _, err := db.Blob(h); err != nil {
			t.Fatalf("Blob(%s) after the rebuild: %v", h.Short(), err)
		}
	}
	damage()
	if _, err := db.Prune(); err != nil {
		t.Fatalf("prune over a damaged group: %v", err)
	}
	if n := countBlobIndex(t, db); n != countBlobs(t, db) {
		t.Errorf("%d index entries after the prune, want %d", n, countBlobs(t, db))
	}
}
