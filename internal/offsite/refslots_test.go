package offsite

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// TestRefSlotsAsMap checks refSlots against a map: first place kept,
// absent refs absent, growth beyond the size it was made for, and refs
// that share their first 8 bytes (short names) or their last 8.
func TestRefSlotsAsMap(t *testing.T) {
	for _, made := range []int{0, 10, 5000} {
		tab, want := newRefSlots(made), map[Ref]slot{}
		var refs []Ref
		for i := range 3000 {
			var r Ref
			switch i % 3 {
			case 0:
				h := sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(i)))
				copy(r[:], h[:])
			case 1:
				binary.LittleEndian.PutUint64(r[8:], uint64(i)) // first half shared: zero
			case 2:
				binary.LittleEndian.PutUint64(r[:8], uint64(i)) // a short name: zero tail
			}
			refs = append(refs, r)
		}
		for i, r := range refs {
			at := slot{uint32(i), uint32(i % 7)}
			if _, ok := want[r]; !ok {
				want[r] = at
			}
			if got := tab.firstOf(r, at); got != want[r] {
				t.Fatalf("made for %d: firstOf(%x) = %v, want %v", made, r, got, want[r])
			}
			if i%2 == 0 { // again: the first place stays
				if got := tab.firstOf(r, slot{9, 9}); got != want[r] {
					t.Fatalf("made for %d: firstOf(%x) again = %v, want %v", made, r, got, want[r])
				}
			}
		}
		if tab.len() != len(want) {
			t.Fatalf("made for %d: %d refs, want %d", made, tab.len(), len(want))
		}
		for r, at := range want {
			if got, ok := tab.get(r); !ok || got != at {
				t.Fatalf("made for %d: get(%x) = %v %v, want %v", made, r, got, ok, at)
			}
		}
		for i := range 1000 {
			var r Ref
			binary.LittleEndian.PutUint64(r[:8], uint64(i+1)<<40)
			r[15] = 1
			if _, ok := tab.get(r); ok {
				t.Fatalf("made for %d: get(%x) found a ref never added", made, r)
			}
		}
	}
}

// BenchmarkRefSlots inserts then looks up a million random refs, in
// refSlots (made for them) and in a map made for them, as resolveChunk
// and lookup do:
//
//	go test ./internal/offsite -run '^$' -bench RefSlots -benchtime 3x
func BenchmarkRefSlots(b *testing.B) {
	refs := make([]Ref, 1_000_000)
	for i := range refs {
		h := sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(i)))
		copy(refs[i][:], h[:])
	}
	b.Run("refSlots", func(b *testing.B) {
		for range b.N {
			t := newRefSlots(len(refs))
			for i, r := range refs {
				t.firstOf(r, slot{uint32(i), 0})
			}
			for _, r := range refs {
				if _, ok := t.get(r); !ok {
					b.Fatal("lost")
				}
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for range b.N {
			m := make(map[Ref]slot, len(refs))
			for i, r := range refs {
				if _, ok := m[r]; !ok {
					m[r] = slot{uint32(i), 0}
				}
			}
			for _, r := range refs {
				if _, ok := m[r]; !ok {
					b.Fatal("lost")
				}
			}
		}
	})
}
