package idset

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestBlocks fills one block past the size where its list becomes a
// bitmap, in random order, with repeats, and checks it against a map.
func TestBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s Set
	want := map[uint64]bool{}
	for range 20_000 {
		v := uint64(5<<16) + uint64(r.IntN(8000)) // one block, 8,000 possible values
		if r.IntN(10) == 0 {
			v = r.Uint64() // elsewhere
		}
		if got := s.Add(v); got == want[v] {
			t.Fatalf("Add(%d) = %v, the set already held it: %v", v, got, want[v])
		}
		want[v] = true
	}
	if s.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(want))
	}
	if b := s.blocks[5]; b.bits == nil {
		t.Fatalf("block of %d values still a list", len(b.list))
	}
	for v := range want {
		if !s.Has(v) {
			t.Fatalf("%d missing", v)
		}
	}
	for v := uint64(5 << 16); v < 6<<16; v++ {
		if s.Has(v) != want[v] {
			t.Fatalf("Has(%d) = %v", v, s.Has(v))
		}
	}
	var empty Set
	if empty.Has(0) || empty.Len() != 0 {
		t.Fatal("the zero Set is not empty")
	}
}

// FuzzSet adds the values the input spells (8 bytes each, folded into few
// blocks so that repeats happen) and checks every answer against a map.
func FuzzSet(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x07"))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Set
		want := map[uint64]bool{}
		for len(b) >= 8 {
			v := binary.BigEndian.Uint64(b) & 0xffff_0000_0000_0fff
			b = b[8:]
			if got := s.Add(v); got == want[v] {
				t.Fatalf("Add(%d) = %v, already held: %v", v, got, want[v])
			}
			want[v] = true
			if !s.Has(v) || s.Has(v^1) != want[v^1] {
				t.Fatalf("Has disagrees around %d", v)
			}
		}
		if s.Len() != len(want) {
			t.Fatalf("Len() = %d, want %d", s.Len(), len(want))
		}
	})
}

// BenchmarkSet adds 333,334 ids, every third of a dense run (the fake's
// three item types share one sequence), and reports the heap the set
// holds, against a map:
//
//	go test ./internal/idset -run '^$' -bench Set -benchtime 3x
func BenchmarkSet(b *testing.B) {
	const n = 333_334
	for _, impl := range []string{"Set", "map"} {
		b.Run(impl, func(b *testing.B) {
			var held uint64
			for range b.N {
				var ms0, ms1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms0)
				var keep any
				if impl == "map" {
					m := map[uint64]struct{}{}
					for i := range n {
						m[uint64(1000+3*i)] = struct{}{}
					}
					keep = m
				} else {
					s := &Set{}
					for i := range n {
						s.Add(uint64(1000 + 3*i))
					}
					keep = s
				}
				runtime.GC()
				runtime.ReadMemStats(&ms1)
				held = ms1.HeapAlloc - ms0.HeapAlloc
				runtime.KeepAlive(keep)
			}
			b.ReportMetric(float64(held)/n, "heap-B/id")
		})
	}
}
