package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// FuzzIndexGroup: a group record of the blob or chunk index read from a
// damaged file never panics a reader, and what decodes encodes back to the same bytes when its ids
// fit its width.
func FuzzIndexGroup(f *testing.F) {
	f.Add(encodeGroup([]indexEntry{{1, 2}, {1, 3}, {7, 1 << 33}}))
	f.Add([]byte{groupFormat, 4})
	// A chunk index's group: chunk ids under the prefixes of their hashes,
	// one prefix twice (a collision).
	var es []indexEntry
	for id := uint64(1); id <= 40; id++ {
		es = append(es, indexEntry{prefixOf(hashOf(encodeChunk([]entry{{key: sortKey(fmt.Sprint(id)), id: id}}))), id})
	}
	es = append(es, indexEntry{es[7].prefix, 41})
	slices.SortFunc(es, cmpEntry)
	f.Add(encodeGroup(es))
	f.Add(encodeGroup(es)[:len(encodeGroup(es))-1])
	f.Fuzz(func(t *testing.T, rec []byte) {
		g, err := decodeGroup(rec)
		if err != nil {
			return
		}
		es := g.entries()
		if !slices.IsSortedFunc(es, cmpEntry) {
			return // damage Verify names; lookups only miss
		}
		for _, e := range es {
			i := g.first(e.prefix)
			if i >= g.len() || g.at(i).prefix != e.prefix {
				t.Fatalf("first(%x) = %d", e.prefix, i)
			}
		}
		g.sound(prefixKey(es[0].prefix), nil)
		if w := encodeGroup(es); int(w[5]) == g.w && bytes.Equal(w[groupHeader:], rec[groupHeader:]) && !bytes.Equal(w, rec) &&
			binary.BigEndian.Uint32(rec[1:5]) == crc32.Checksum(rec[5:], castagnoli) {
			t.Fatalf("re-encoded %x, want %x", w, rec)
		}
	})
}

// TestIndexGroupDamageStaysPut: a group record that still decodes but
// lost its first prefix (its checksum no longer matches) is named by
// Verify and rebuilt by the next filing into it, not merged and filed
// again under the damaged prefix, where no lookup of its range would
// find its entries; and a group under a key of the wrong length stops
// no filing.
func TestIndexGroupDamageStaysPut(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	const n = 9000 // blobs: more than two groups
	snapshotOf(t, db, "acme", n, same)
	fileAll(t, db)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		groups := tx.Bucket(bucketBlobGroups)
		c := groups.Cursor()
		c.First()
		k, v := c.Next()
		if k == nil {
			return fmt.Errorf("one group for %d blobs", n)
		}
		rec := bytes.Clone(v)
		copy(rec[groupHeader:groupHeader+prefixLen], make([]byte, prefixLen))
		if err := groups.Put(bytes.Clone(k), rec); err != nil {
			return err
		}
		return groups.Put([]byte{0xff, 0xff}, encodeGroup([]indexEntry{{1<<48 - 1, 1}}))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Problems[0].Err, "the blob index group") {
		t.Fatalf("verify of a damaged group: %v", rep.Problems[:min(2, len(rep.Problems))])
	}
	// Every other object changes: new blobs land in every group.
	snapshotOf(t, db, "acme", n, func(id int) int { return id % 2 })
	fileAll(t, db)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlobGroups).Delete([]byte{0xff, 0xff})
	}); err != nil {
		t.Fatal(err)
	}
	rep, err = db.Verify(false, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after the next filing: %v, %v", rep.Problems[:min(3, len(rep.Problems))], err)
	}
	if idx := countIndex(t, db, blobIndex); idx != rep.Blobs {
		t.Errorf("%d index entries for %d blobs", idx, rep.Blobs)
	}
}
