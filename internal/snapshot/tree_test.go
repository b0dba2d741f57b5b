package snapshot

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSortKeyOrder(t *testing.T) {
	keys := []string{"abc", "10", "9", "", "0", "007", "1000000", "Zed", "99", "a/b", "1e3", "12345678901234567890123"}
	sorted := slices.Clone(keys)
	sort.Slice(sorted, func(i, j int) bool { return compareKeys(sortKey(sorted[i]), sortKey(sorted[j])) < 0 })
	want := []string{"0", "9", "10", "99", "1000000", "12345678901234567890123", "", "007", "1e3", "Zed", "a/b", "abc"}
	if diff := cmp.Diff(want, sorted); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	for _, k := range keys {
		got, err := keyText(sortKey(k))
		if err != nil || got != k {
			t.Errorf("keyText(sortKey(%q)) = %q, %v", k, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {9, 'x'}, {tagNumber, 3, '1', '2'}, {tagNumber, 2, '0', '1'}, {tagText, '4', '2'}} {
		if _, err := keyText(bad); err == nil {
			t.Errorf("keyText(%q) succeeded", bad)
		}
	}
}

func TestTreeEncodingRoundTrip(t *testing.T) {
	var es []entry
	for i := 1; i <= 300; i++ {
		es = append(es, entry{key: sortKey(fmt.Sprint(i * 7)), id: uint64(i * i * 1000)})
	}
	got, err := decodeChunk(encodeChunk(es))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(es, got, cmp.AllowUnexported(entry{})) {
		t.Error("chunk round trip differs")
	}
	for _, tc := range []struct {
		level int
		refs  []chunkRef
	}{
		{1, []chunkRef{{first: sortKey("1"), id: 1, count: 3}, {first: sortKey("abc"), id: 1 << 40, count: maxChunkEntries}}},
		{3, []chunkRef{{first: sortKey("1"), id: 9, count: 70_000}, {first: sortKey("2"), id: 3, count: 1}}},
	} {
		level, refs, err := decodeIndex(encodeIndex(tc.level, tc.refs))
		if err != nil {
			t.Fatal(err)
		}
		if level != tc.level || !cmp.Equal(tc.refs, refs, cmp.AllowUnexported(chunkRef{})) {
			t.Errorf("index node round trip: level %d, want %d; refs differ: %v", level, tc.level, !cmp.Equal(tc.refs, refs, cmp.AllowUnexported(chunkRef{})))
		}
	}
	for _, bad := range []struct {
		what string
		enc  []byte
	}{
		{"no children", encodeIndex(1, nil)},
		{"level 0", encodeIndex(0, []chunkRef{{first: sortKey("a"), id: 1, count: 1}})},
		{"a chunk of more than the most entries", encodeIndex(1, []chunkRef{{first: sortKey("a"), id: 1, count: maxChunkEntries + 1}})},
		{"an empty child", encodeIndex(2, []chunkRef{{first: sortKey("a"), id: 1}})},
		{"a chunk encoding", encodeChunk([]entry{{key: sortKey("a"), id: 1}})},
	} {
		if _, _, err := decodeIndex(bad.enc); err == nil {
			t.Errorf("decoded an index node with %s", bad.what)
		}
	}
	if _, err := decodeChunk(encodeIndex(1, []chunkRef{{first: sortKey("a"), id: 1, count: 1}})); err == nil {
		t.Error("decoded an index node as a chunk")
	}
	// Out-of-order keys are damage.
	bad := encodeChunk([]entry{{key: sortKey("b"), id: 1}, {key: sortKey("a"), id: 2}})
	if _, err := decodeChunk(bad); err == nil {
		t.Error("decoded a chunk with keys out of order")
	}
	// So is id 0, which no record has.
	if _, err := decodeChunk(encodeChunk([]entry{{key: sortKey("a")}})); err == nil {
		t.Error("decoded a chunk naming blob 0")
	}
	if _, _, err := decodeIndex(encodeIndex(1, []chunkRef{{first: sortKey("a"), count: 1}})); err == nil {
		t.Error("decoded an index node naming chunk 0")
	}
}

func TestChunkBoundaries(t *testing.T) {
	// Boundaries depend on keys only: about one in 64.
	n, cuts := 100_000, 0
	for i := range n {
		if boundary(sortKey(fmt.Sprint(i))) {
			cuts++
		}
	}
	if avg := n / cuts; avg < 50 || avg > 80 {
		t.Errorf("average chunk of %d entries, want about 64", avg)
	}
}

// FuzzDecodeTree feeds damaged node encodings to the decoders: they must
// fail or succeed, never panic, and what they accept must survive an
// encode-decode round trip unchanged. (An accepted input need not be the
// encoder's own form: addresses, not decoders, prove a node's integrity.)
func FuzzDecodeTree(f *testing.F) {
	es := []entry{{key: sortKey("1"), id: 7}, {key: sortKey("22"), id: 300}, {key: sortKey("abc"), id: 1 << 50}}
	f.Add(encodeChunk(es))
	f.Add(encodeIndex(1, []chunkRef{{first: sortKey("1"), id: 1, count: 2}, {first: sortKey("2"), id: 200, count: 1}}))
	f.Add(encodeIndex(2, []chunkRef{{first: sortKey("1"), id: 5, count: 200}, {first: sortKey("2"), id: 4, count: 1}}))
	f.Add(encodeOldChunk(es))
	f.Add(encodeOldIndex(1, []chunkRef{{first: sortKey("1"), id: 1, count: 2}, {first: sortKey("2"), id: 200, count: 1}}))
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Add([]byte{treeFormat, 2, 2, 1, '7', 2, 3, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if es, err := decodeChunk(b); err == nil {
			again, err := decodeChunk(encodeChunk(es))
			if err != nil || !cmp.Equal(es, again, cmp.AllowUnexported(entry{})) {
				t.Errorf("chunk round trip: %v", err)
			}
		}
		if level, refs, err := decodeIndex(b); err == nil {
			level2, again, err := decodeIndex(encodeIndex(level, refs))
			if err != nil || level2 != level || !cmp.Equal(refs, again, cmp.AllowUnexported(chunkRef{})) {
				t.Errorf("index node round trip: %v", err)
			}
		}
	})
}

// appendOldKey appends key in the form of oldTreeFormat and
// oldIndexFormat: the shared prefix's length, the rest's length and the
// rest. Tests write it to make nodes as older builds did.
func appendOldKey(b, prev, key []byte) []byte {
	n := 0
	for n < len(prev) && n < len(key) && prev[n] == key[n] {
		n++
	}
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.AppendUvarint(b, uint64(len(key)-n))
	return append(b, key[n:]...)
}

// encodeOldChunk encodes entries as chunks of oldTreeFormat were.
func encodeOldChunk(es []entry) []byte {
	b := []byte{oldTreeFormat}
	b = binary.AppendUvarint(b, uint64(len(es)))
	var prev []byte
	var prevID uint64
	for _, e := range es {
		b = appendOldKey(b, prev, e.key)
		b = appendID(b, prevID, e.id)
		prev, prevID = e.key, e.id
	}
	return b
}

// encodeOldIndex encodes an index node as those of oldIndexFormat were.
func encodeOldIndex(level int, refs []chunkRef) []byte {
	b := []byte{oldIndexFormat}
	b = binary.AppendUvarint(b, uint64(len(refs)))
	b = binary.AppendUvarint(b, uint64(level))
	var prev []byte
	var prevID uint64
	for _, r := range refs {
		b = appendOldKey(b, prev, r.first)
		b = appendID(b, prevID, r.id)
		b = binary.AppendUvarint(b, uint64(r.count))
		prev, prevID = r.first, r.id
	}
	return b
}

// TestNumericKeys checks the coding of numeric keys as differences: keys
// of numbered objects take a byte each, mixed numeric and text keys and
// numbers too long for a difference round-trip, and nodes written before
// (oldTreeFormat, oldIndexFormat) still decode.
func TestNumericKeys(t *testing.T) {
	keys := []string{"0", "1", "2", "130", "131", "100000", "999999999999999999", "1000000000000000000",
		"99999999999999999999999", "", "007", "a", "ab", "b"}
	var es []entry
	var refs []chunkRef
	for i, k := range keys {
		es = append(es, entry{key: sortKey(k), id: uint64(i + 1)})
		refs = append(refs, chunkRef{first: sortKey(k), id: uint64(i + 1), count: 1})
	}
	for _, enc := range [][]byte{encodeChunk(es), encodeOldChunk(es)} {
		got, err := decodeChunk(enc)
		if err != nil || !cmp.Equal(es, got, cmp.AllowUnexported(entry{})) {
			t.Errorf("chunk of format %d: round trip differs (%v)", enc[0], err)
		}
	}
	for _, enc := range [][]byte{encodeIndex(1, refs), encodeOldIndex(1, refs)} {
		level, got, err := decodeIndex(enc)
		if err != nil || level != 1 || !cmp.Equal(refs, got, cmp.AllowUnexported(chunkRef{})) {
			t.Errorf("index node of format %d: round trip differs (%v)", enc[0], err)
		}
	}
	// 64 numbered objects a few apart, ids given in a row: two bytes each
	// after the first (12 bytes: its key in full and its id).
	es = es[:0]
	for i := range 64 {
		es = append(es, entry{key: sortKey(fmt.Sprint(100_000 + 7*i)), id: uint64(5000 + i)})
	}
	if enc := encodeChunk(es); len(enc) > 2+12+2*63 {
		t.Errorf("chunk of 64 numbered objects takes %d bytes, want at most %d", len(enc), 2+12+2*63)
	}
	// A difference past the largest number coded so is damage.
	bad := []byte{treeFormat, 2}
	bad = appendKey(bad, nil, sortKey("999999999999999990"))
	bad = appendID(bad, 0, 1)
	bad = binary.AppendUvarint(bad, 20<<1|1)
	bad = appendID(bad, 1, 2)
	if _, err := decodeChunk(bad); err == nil {
		t.Error("decoded a numeric key past the largest number coded as a difference")
	}
}
