package jsonv

import "fmt"

// Canonicalizer writes the canonical forms of values one after another
// with the same member stack and scratch buffer, without the pool round
// trip of AppendCanonical: for a caller that canonicalises many values in
// a row, such as the objects of a list page. Its zero value is ready to
// use; it is not safe for concurrent use.
type Canonicalizer struct{ c canon }

// AppendValue appends the canonical form of the one JSON value at the
// start of raw (after any whitespace) to dst, and returns the extended
// slice with the offset in raw just past that value. Unlike
// AppendCanonical, data after the value is not an error: it is the
// caller's to read (a comma and the next element of a list). The output
// for a value is exactly what Canonical gives for that value alone; an
// error is ErrInvalid, as AppendCanonical's.
func (z *Canonicalizer) AppendValue(dst, raw []byte) (out []byte, end int, err error) {
	c := &z.c
	c.in, c.pos, c.out, c.depth = raw, 0, dst, 0
	c.members = c.members[:0]
	defer func() { c.in, c.out = nil, nil }()
	c.space()
	if c.pos == len(c.in) {
		return nil, 0, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if err := c.value(); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return c.out, c.pos, nil
}
