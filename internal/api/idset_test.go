package api

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

func TestIDSet(t *testing.T) {
	s := newIDSet()
	for _, c := range []struct {
		id  string
		new bool
	}{{"7", true}, {"7", false}, {"007", true}, {"007", false}, {"ws-1", true}, {"ws-1", false},
		{"18446744073709551615", true}, {"18446744073709551616", true}, {"raw:{}", true}, {"", true}, {"", false},
		{"0", true}, {"0", false}, {"00", true}, {"+7", true}, {"+7", false}, {"-7", true}} {
		if got := s.add(c.id); got != c.new {
			t.Errorf("add(%q) = %v, want %v", c.id, got, c.new)
		}
	}
	if s.num.n != 3 {
		t.Errorf("%d ids kept as numbers, want 3 (7, 0 and the largest uint64)", s.num.n)
	}
}

// TestNumSetBlocks fills one block past the size where its list becomes a
// bitmap, in random order, with repeats, and checks it against a map.
func TestNumSetBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := numSet{blocks: map[uint64]*idBlock{}}
	want := map[uint64]bool{}
	for range 20_000 {
		v := uint64(5<<16) + uint64(r.IntN(8000)) // one block, 8,000 possible values
		if r.IntN(10) == 0 {
			v = r.Uint64() // elsewhere
		}
		if got := s.add(v); got == want[v] {
			t.Fatalf("add(%d) = %v, the set already held it: %v", v, got, want[v])
		}
		want[v] = true
	}
	if s.n != len(want) {
		t.Fatalf("set counts %d, want %d", s.n, len(want))
	}
	if b := s.blocks[5]; b.bits == nil {
		t.Fatalf("block of %d values still a list", len(b.list))
	}
	for v := range want {
		if !s.has(v) {
			t.Fatalf("%d missing", v)
		}
	}
	for v := uint64(5 << 16); v < 6<<16; v++ {
		if s.has(v) != want[v] {
			t.Fatalf("has(%d) = %v", v, s.has(v))
		}
	}
}

// FuzzIDSet adds the ids the input spells (8 bytes each, as numbers, and
// as text) and checks every answer against a map.
func FuzzIDSet(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x07"))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newIDSet()
		want := map[string]bool{}
		for len(b) >= 8 {
			v := binary.BigEndian.Uint64(b)
			b = b[8:]
			v &= 0xffff_0000_0000_0fff // few blocks, few values: repeats happen
			for _, id := range []string{strconv.FormatUint(v, 10), "0" + strconv.FormatUint(v, 10)} {
				if got := s.add(id); got == want[id] {
					t.Fatalf("add(%q) = %v, already held: %v", id, got, want[id])
				}
				want[id] = true
			}
		}
	})
}

// BenchmarkIDSet adds 333,334 ids, every third of a dense sequence (as the
// fake's three item types share one), and reports the heap the set holds.
//
//	go test ./internal/api -run '^$' -bench IDSet -benchtime 3x
func BenchmarkIDSet(b *testing.B) {
	const n = 333_334
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(1000 + 3*i)
	}
	for _, impl := range []string{"numSet", "map"} {
		b.Run(impl, func(b *testing.B) {
			var held uint64
			for range b.N {
				var ms0, ms1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms0)
				var keep any
				if impl == "map" {
					m := map[uint64]struct{}{}
					for _, id := range ids {
						v, _ := strconv.ParseUint(id, 10, 64)
						m[v] = struct{}{}
					}
					keep = m
				} else {
					s := newIDSet()
					for _, id := range ids {
						s.add(id)
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
