package offsite

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// refSlots maps refs to places, as a map[Ref]slot does, for the refs a
// restore resolves from tree chunks (a million at a million objects):
// one array of 24-byte entries, probed linearly from the ref's hash,
// sized once for the refs expected (three quarters full then, about the
// map's memory; it doubles beyond). A map's insert and look-up each
// touched its group's control word and then the entry, two misses of
// the processor's caches where this takes one: the map's inserts were
// 0.55 s of a million-item restore-db (BenchmarkRefSlots: a third less
// time). The hash mixes both halves of the ref with seeds drawn for
// each table, so that whoever wrote the trees cannot, without the
// seeds, choose refs that pile up on one stretch of the table.
type refSlots struct {
	seed0, seed1 uint64
	n            int
	e            []refEntry
}

// refEntry is a ref and its place, the pack's place plus one: zero is
// an empty entry.
type refEntry struct {
	ref         Ref
	pack1, blob uint32
}

// newRefSlots returns a table for about n refs.
func newRefSlots(n int) *refSlots {
	return &refSlots{seed0: rand.Uint64(), seed1: rand.Uint64(), e: make([]refEntry, max(16, n+n/3+1))}
}

// start returns the entry r's probe starts at: its hash scaled to the
// table's length.
func (t *refSlots) start(r Ref) int {
	hi, lo := bits.Mul64(binary.LittleEndian.Uint64(r[:8])^t.seed0, binary.LittleEndian.Uint64(r[8:])^t.seed1)
	at, _ := bits.Mul64(hi^lo, uint64(len(t.e)))
	return int(at)
}

// get returns r's place, if the table holds r.
func (t *refSlots) get(r Ref) (slot, bool) {
	for i := t.start(r); ; i++ {
		if i == len(t.e) {
			i = 0
		}
		e := &t.e[i]
		if e.pack1 == 0 {
			return slot{}, false
		}
		if e.ref == r {
			return slot{e.pack1 - 1, e.blob}, true
		}
	}
}

// firstOf returns r's place, adding r at at when the table lacks it.
func (t *refSlots) firstOf(r Ref, at slot) slot {
	if (t.n+1)*4 > len(t.e)*3 {
		t.grow()
	}
	for i := t.start(r); ; i++ {
		if i == len(t.e) {
			i = 0
		}
		e := &t.e[i]
		if e.pack1 == 0 {
			*e = refEntry{ref: r, pack1: at.pack + 1, blob: at.blob}
			t.n++
			return at
		}
		if e.ref == r {
			return slot{e.pack1 - 1, e.blob}
		}
	}
}

// len returns how many refs the table holds.
func (t *refSlots) len() int { return t.n }

func (t *refSlots) grow() {
	old := t.e
	t.e, t.n = make([]refEntry, 2*len(old)), 0
	for _, e := range old {
		if e.pack1 != 0 {
			t.firstOf(e.ref, slot{e.pack1 - 1, e.blob})
		}
	}
}
