package snapshot

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
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
		if w := encodeGroup(es); int(w[1]) == g.w && !bytes.Equal(w, rec) {
			t.Fatalf("re-encoded %x, want %x", w, rec)
		}
	})
}
