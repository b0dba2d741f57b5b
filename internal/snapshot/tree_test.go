package snapshot

import (
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
	// Boundaries depend on keys only: about one in 16.
	n, cuts := 100_000, 0
	for i := range n {
		if boundary(sortKey(fmt.Sprint(i))) {
			cuts++
		}
	}
	if avg := n / cuts; avg < 12 || avg > 20 {
		t.Errorf("average chunk of %d entries, want about 16", avg)
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
	f.Add([]byte{1, 255, 255, 255, 255, 15})
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
