package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestManyPacksRead: with small packs and a small pack cache, a snapshot
// spread over hundreds of packs reads back exactly, object by object and
// collection-wide, from several goroutines at once (the cache evicting
// all along), and verifies with the data read.
func TestManyPacksRead(t *testing.T) {
	defer func(p, c int) { packTarget, packCacheBytes = p, c }(packTarget, packCacheBytes)
	packTarget, packCacheBytes = 2<<10, 16<<10
	db := openTest(t)
	const n = 1500
	s := snapshotOf(t, db, "acme", n, same)
	if p := count(t, db, bucketPacks); p < 100 {
		t.Fatalf("%d packs, want hundreds", p)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			seen := 0
			err := db.WalkObjects(s, "items/contracts", func(k string, raw []byte) error {
				seen++
				if want := item(seen, 0); k != fmt.Sprint(seen) || !bytes.Equal(raw, want) {
					return fmt.Errorf("key %s: %q", k, raw)
				}
				return nil
			})
			if err != nil || seen != n {
				t.Errorf("walk: %d objects, %v", seen, err)
			}
			for id := 1 + g; id <= n; id += 97 {
				raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(id))
				if err != nil || !ok || !bytes.Equal(raw, item(id, 0)) {
					t.Errorf("lookup %d: %q %v %v", id, raw, ok, err)
				}
				h, _ := ContentHash(item(id, 0))
				if raw, err := db.Blob(h); err != nil || !bytes.Equal(raw, item(id, 0)) {
					t.Errorf("blob of %d: %q %v", id, raw, err)
				}
			}
		})
	}
	wg.Wait()
	if db.packs.size > packCacheBytes {
		t.Errorf("pack cache holds %d bytes, bound %d", db.packs.size, packCacheBytes)
	}
}

// FuzzDecodePack: a pack record read from a damaged file never panics a
// reader: it decodes or is ErrCorrupt, and what decodes unpacks or is
// ErrCorrupt.
func FuzzDecodePack(f *testing.F) {
	var raw []byte
	var hashes []Hash
	var lens []int
	for i := range 3 {
		b := item(i, 0)
		h, _ := ContentHash(b)
		raw, hashes, lens = append(raw, b...), append(hashes, h), append(lens, len(b))
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodePack([]uint64{1, 2, 5}, lens, frame))
	f.Add(encodePack4([]uint64{1, 2, 5}, hashes, lens, frame))
	f.Add(encodePack([]uint64{7, 8, 9}, lens, frame))
	f.Add(encodePack3([]uint64{1, 2, 5}, hashes, lens, frame))
	f.Add([]byte{packFormat, 0, 0, 0, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		p, err := decodePack(rec)
		if err != nil {
			return
		}
		for i := range p.ids {
			_, _ = p.hash(i)
			if p.find(p.ids[i]) != i {
				t.Fatalf("find(%d) != %d", p.ids[i], i)
			}
		}
		_, _ = p.unpack()
		_ = checkPack(rec)
	})
}

// encodePack3 makes a pack record the way format-3 builds did: every id
// as a difference from the one before.
func encodePack3(ids []uint64, hashes []Hash, lens []int, frame []byte) []byte {
	rec := []byte{packFormat3, 0, 0, 0, 0}
	rec = binary.AppendUvarint(rec, uint64(len(ids)))
	var prev uint64
	for _, id := range ids {
		rec = binary.AppendUvarint(rec, id-prev)
		prev = id
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

// TestPackIDs: a pack of consecutive ids lists only the first; one with
// gaps, and a format-3 pack, list them all; all three decode to the same
// ids, lengths and hashes, and pass their checks.
func TestPackIDs(t *testing.T) {
	var raw []byte
	var hashes []Hash
	var lens []int
	for i := range 3 {
		b := item(i, 0)
		h, _ := ContentHash(b)
		raw, hashes, lens = append(raw, b...), append(hashes, h), append(lens, len(b))
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	consecutive, gaps := encodePack([]uint64{7, 8, 9}, lens, frame), encodePack([]uint64{7, 9, 300}, lens, frame)
	if len(gaps)-len(consecutive) != 3 { // two deltas, one of two bytes
		t.Errorf("pack with gaps %d bytes, consecutive %d", len(gaps), len(consecutive))
	}
	for _, c := range []struct {
		rec []byte
		ids []uint64
	}{
		{consecutive, []uint64{7, 8, 9}},
		{gaps, []uint64{7, 9, 300}},
		{encodePack4([]uint64{7, 9, 300}, hashes, lens, frame), []uint64{7, 9, 300}},
		{encodePack3([]uint64{7, 9, 300}, hashes, lens, frame), []uint64{7, 9, 300}},
	} {
		p, err := decodePack(c.rec)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.ids, c.ids) || !slices.Equal(p.lens, lens) || packHashes(t, p)[2] != hashes[2] {
			t.Errorf("format %d: ids %v, lens %v", c.rec[0], p.ids, p.lens)
		}
		if ch := checkPack(c.rec); ch.all != "" || len(ch.bad) != 0 {
			t.Errorf("format %d: %+v", c.rec[0], ch)
		}
	}
}

// TestLargeBlobPackedAlone: an object larger than a pack gets a pack of
// its own, so no pack decompresses to more than the largest object; the
// objects around it share packs and everything reads back.
func TestLargeBlobPackedAlone(t *testing.T) {
	db := openTest(t)
	big := []byte(fmt.Sprintf(`{"id":2,"notes":%q}`, bytes.Repeat([]byte("abcdefgh"), packTarget/4)))
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	objs := [][]byte{item(1, 0), big, item(3, 0)}
	for i, o := range objs {
		if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if p := count(t, db, bucketPacks); p != 3 {
		t.Errorf("%d packs, want 3: before, the large object alone, after", p)
	}
	for i, o := range objs {
		raw, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(i+1))
		if err != nil || !ok || !bytes.Equal(raw, o) {
			t.Errorf("object %d: %d bytes, %v %v", i+1, len(raw), ok, err)
		}
	}
}

// TestPackRecordInPlace: the record a draft makes in the buffer its frame
// was compressed into holds the very bytes encodePack makes, and reads
// back; blob ids of any width, several packs a batch, a blob larger
// than a pack.
func TestPackRecordInPlace(t *testing.T) {
	var batch []pending
	for i := range 900 {
		raw := item(i, 0)
		if i == 400 {
			raw = []byte(fmt.Sprintf(`{"id":400,"big":%q}`, strings.Repeat("x", packTarget+10)))
		}
		h, err := ContentHash(raw)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, pending{hash: h, raw: raw})
	}
	idx := make([]int, len(batch))
	for i := range idx {
		idx[i] = i
	}
	drafts := draftPacks(batch, idx)
	if err := compressDrafts(batch, drafts, 2, nil); err != nil {
		t.Fatal(err)
	}
	if len(drafts) < 3 {
		t.Fatalf("%d packs, want several", len(drafts))
	}
	for _, first := range []uint64{1, 200, 1 << 20, 1 << 40} {
		next, seen := first, 0
		for _, d := range drafts {
			ids := make([]uint64, len(d.members))
			for j := range ids {
				ids[j] = next
				next++
			}
			want := encodePack(ids, d.lens, d.frame)
			got := d.record(ids)
			if !bytes.Equal(got, want) {
				t.Fatalf("first id %d: in-place record differs from encodePack's", first)
			}
			p, err := decodePack(got)
			if err != nil || !packSumOK(got) {
				t.Fatalf("first id %d: %v", first, err)
			}
			raw, err := p.unpack()
			if err != nil {
				t.Fatal(err)
			}
			for j, i := range d.members {
				if !bytes.Equal(raw[p.offs[j]:p.offs[j+1]], batch[i].raw) || p.ids[j] != ids[j] {
					t.Fatalf("first id %d: blob %d reads back wrong", first, i)
				}
				seen++
			}
		}
		if seen != len(batch) {
			t.Fatalf("%d blobs in the packs, want %d", seen, len(batch))
		}
	}
}

// TestPackWindowSameFrames: with its small window the pack encoder writes
// the very frames an 8 MiB window writes (with the same 128 KiB blocks)
// for packs up to twice packTarget, so the window costs no bytes; a blob
// larger than the window still reads back.
func TestPackWindowSameFrames(t *testing.T) {
	wide, err := zstd.NewWriter(nil, zstd.WithWindowSize(8<<20), zstd.WithEncoderLevel(packLevel), zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for i := 0; len(raw) < 2*packTarget; i++ {
		raw = append(raw, item(i, i%7)...)
	}
	for _, n := range []int{100, 4 << 10, packTarget, packTarget + 5000, 2 * packTarget} {
		got, err := compressPack(nil, raw[:n])
		if err != nil {
			t.Fatal(err)
		}
		if want := wide.EncodeAll(raw[:n], nil); !bytes.Equal(got, want) {
			t.Errorf("%d bytes: the pack encoder's frame differs from the default window's", n)
		}
	}
	huge := bytes.Repeat(raw, 3)
	frame, err := compressPack(nil, huge)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := decompressPack(frame, len(huge)); err != nil || !bytes.Equal(back, huge) {
		t.Fatalf("a blob larger than the window: %v", err)
	}
}
