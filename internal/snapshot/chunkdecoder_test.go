package snapshot

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChunkDecoderReuses: a chunkDecoder gives what decodeChunk gives,
// chunk after chunk (numeric and text keys, old and new forms), and once
// its buffers have grown to a chunk's size it decodes the next without
// allocating (decodeChunk makes a slice for every key).
func TestChunkDecoderReuses(t *testing.T) {
	var chunks [][]byte
	for c := range 4 {
		var es []entry
		for i := 1; i <= 300; i++ {
			k := fmt.Sprint(c*100_000 + i*7)
			if c%2 == 1 {
				k = "key-" + k
			}
			es = append(es, entry{key: sortKey(k), id: uint64(i*i*1000 + c)})
		}
		chunks = append(chunks, encodeChunk(es))
		if c == 3 {
			chunks = append(chunks, encodeOldChunk(es))
		}
	}
	var cd chunkDecoder
	for round := range 2 {
		for i, b := range chunks {
			want, err := decodeChunk(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cd.decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(want, got, cmp.AllowUnexported(entry{})) {
				t.Fatalf("round %d, chunk %d: the chunkDecoder's entries differ from decodeChunk's", round, i)
			}
		}
	}
	if _, err := cd.decode([]byte{treeFormat, 1}); err == nil {
		t.Error("a truncated chunk decoded")
	}
	if n := testing.AllocsPerRun(20, func() {
		for _, b := range chunks {
			if _, err := cd.decode(b); err != nil {
				t.Fatal(err)
			}
		}
	}); n > 0 {
		t.Errorf("%.0f allocations for %d chunks decoded again, want none", n, len(chunks))
	}
}
