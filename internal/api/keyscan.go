package api

import "bytes"

// keyScan finds the API key in an answer's body: every 2xx body is
// searched for it before it is handed on (a body that holds the key is
// refused, so that the key is never stored). bytes.Contains anchors its
// search on the key's first byte, and a key starting with a letter or a
// digit that is common in JSON text ("en.…") stops it every few bytes:
// it was 3% of a first backup's CPU. keyScan skips through the body with
// a table of the key's two-byte sequences (q-gram Boyer-Moore-Horspool):
// a window whose last two bytes do not occur in the key at that place
// moves on by up to the key's length less one, so most of a body is never
// looked at. It finds exactly what bytes.Contains finds; a body that makes
// it step slowly (long runs of the key's own bytes) is searched the rest
// of the way by bytes.Contains, so it never takes much longer.
type keyScan struct {
	key []byte
	// shift is, for the two bytes ending a window (hashed: pair), how far
	// the window may move: m-1-p for the last p in [1, m-2] where the key
	// holds two bytes of that hash at p-1 and p, else m-1. Only made for
	// keys of 4 to 256 bytes. 4 KiB, so that it stays in the fastest
	// cache; pairs of the same hash share the smallest shift.
	shift *[1 << 12]uint8
}

// pair hashes two bytes to an index of keyScan.shift.
func pair(a, b byte) uint32 { return (uint32(a)<<5 ^ uint32(b)) & (1<<12 - 1) }

func newKeyScan(key string) *keyScan {
	k := &keyScan{key: []byte(key)}
	m := len(k.key)
	if m < 4 || m > 256 {
		return k
	}
	k.shift = new([1 << 12]uint8)
	for i := range k.shift {
		k.shift[i] = uint8(m - 1)
	}
	for p := 1; p <= m-2; p++ {
		k.shift[pair(k.key[p-1], k.key[p])] = uint8(m - 1 - p) // the last p is the smallest shift
	}
	return k
}

// in reports whether body holds the key.
func (k *keyScan) in(body []byte) bool {
	m, n := len(k.key), len(body)
	if k.shift == nil || n < 4*m {
		return bytes.Contains(body, k.key)
	}
	last0, last1 := k.key[m-2], k.key[m-1]
	// Each window costs a step; a body the table lets through at least
	// eight bytes a step on average needs about n/8 of them.
	budget := n/8 + 64
	for s := 0; s+m <= n; budget-- {
		if budget == 0 {
			return bytes.Contains(body[s:], k.key)
		}
		b0, b1 := body[s+m-2], body[s+m-1]
		if b0 == last0 && b1 == last1 && bytes.Equal(body[s:s+m], k.key) {
			return true
		}
		s += int(k.shift[pair(b0, b1)])
	}
	return false
}
