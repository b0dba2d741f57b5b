package api

import (
	"slices"
	"strconv"
)

// idSet is the set of identities a listing has handed on, to drop rows a
// later page repeats. Numeric ids (the API's are integers) are kept in a
// numSet, at about one bit each where ids are dense and two bytes each
// where they are sparse; other identities in a map.
//
// Measured with 1,000,002 items in three types of the fake (ids dense):
// a map[uint64]struct{} of the ids took 33 MB at once (the three listings
// run together); the numSet takes 0.4 MB.
type idSet struct {
	num  numSet
	text map[string]struct{}
}

func newIDSet() idSet {
	return idSet{num: numSet{blocks: map[uint64]*idBlock{}}, text: map[string]struct{}{}}
}

// add adds id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if n, ok := plainUint(id); ok {
		return s.num.add(n)
	}
	if _, dup := s.text[id]; dup {
		return false
	}
	s.text[id] = struct{}{}
	return true
}

// plainUint parses id when it is the canonical decimal text of a uint64 (no
// sign, no leading zero): "007" and "7" are different ids.
func plainUint(id string) (uint64, bool) {
	if id == "" || (len(id) > 1 && id[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil && id[0] != '+'
}

// numSet is an exact set of uint64s, filed in blocks of 65,536 values (by
// the high 48 bits): a block holds its low 16 bits in a sorted list while
// it has at most blockListMax of them, then in a bitmap of 8 KiB. No
// hashing, so no collisions to handle.
type numSet struct {
	blocks map[uint64]*idBlock
	n      int
}

// blockListMax is where a block's sorted list (2 bytes a value) becomes as
// large as its bitmap (8 KiB).
const blockListMax = 4096

type idBlock struct {
	list []uint16      // sorted, while bits is nil
	bits *[1024]uint64 // one bit per value of the block
}

// add adds v and reports whether it was new.
func (s *numSet) add(v uint64) bool {
	b := s.blocks[v>>16]
	if b == nil {
		b = &idBlock{}
		s.blocks[v>>16] = b
	}
	if b.add(uint16(v)) {
		s.n++
		return true
	}
	return false
}

// has reports whether v is in the set.
func (s *numSet) has(v uint64) bool {
	b := s.blocks[v>>16]
	if b == nil {
		return false
	}
	lo := uint16(v)
	if b.bits != nil {
		return b.bits[lo>>6]&(1<<(lo&63)) != 0
	}
	_, found := slices.BinarySearch(b.list, lo)
	return found
}

func (b *idBlock) add(lo uint16) bool {
	if b.bits == nil {
		i, found := slices.BinarySearch(b.list, lo)
		if found {
			return false
		}
		if len(b.list) < blockListMax {
			b.list = slices.Insert(b.list, i, lo)
			return true
		}
		b.bits = new([1024]uint64)
		for _, x := range b.list {
			b.bits[x>>6] |= 1 << (x & 63)
		}
		b.list = nil
	}
	w, bit := &b.bits[lo>>6], uint64(1)<<(lo&63)
	if *w&bit != 0 {
		return false
	}
	*w |= bit
	return true
}
