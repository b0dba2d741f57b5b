package jsonv

import "fmt"

// Canonicalizer writes the canonical forms of values one after another
// with the same member stack and scratch buffer, without the pool round
// trip of AppendCanonical: for a caller that canonicalises many values in
// a row, such as the objects of a list page. Its zero value is ready to
// use; it is not safe for concurrent use.
type Canonicalizer struct {
	c   canon
	top []topMember // the members of the last value, when an object
	// skip is the number of values AppendValue still canonicalises
	// without checking first whether they are canonical already.
	skip int
}

// checkEvery: after a value that was not canonical already, AppendValue
// checks only every checkEvery-th value until one passes. The values a
// caller gives in a row come from one server, alike: a server that sends
// its fields in insertion order (the fake API, Node.js) pays a failed
// check (about a tenth of the canonical form's time, on the fake's items)
// for one value in 16; one that sends canonical JSON has every value
// checked while they pass.
const checkEvery = 16

// topMember is one member of the outermost object: its unescaped key and
// its value as read.
type topMember struct {
	key, raw []byte
}

// AppendValue appends the canonical form of the one JSON value at the
// start of raw (after any whitespace) to dst, and returns the extended
// slice with the offset in raw just past that value. Unlike
// AppendCanonical, data after the value is not an error: it is the
// caller's to read (a comma and the next element of a list). The output
// for a value is exactly what Canonical gives for that value alone; an
// error is ErrInvalid, as AppendCanonical's.
//
// A value that is already its own canonical form (as IsCanonical decides:
// no whitespace, keys in order, no escapes) is checked in one pass that
// writes nothing and appended as it is; any other is canonicalised. After
// a value that fails the check, the next ones are canonicalised without
// it, but for one in checkEvery. The output never depends on which path
// a value takes.
func (z *Canonicalizer) AppendValue(dst, raw []byte) (out []byte, end int, err error) {
	if z.skip > 0 {
		z.skip--
		return z.appendValue(dst, raw)
	}
	if end, ok := z.canonicalPrefix(raw); ok {
		return append(dst, raw[:end]...), end, nil
	}
	z.skip = checkEvery - 1
	return z.appendValue(dst, raw)
}

// canonicalPrefix reports whether the value at the start of raw is
// already its own canonical form, and where it ends; the members of an
// outermost object are then in z.top, for Member. A value that starts
// with whitespace or is not canonical is the general path's.
func (z *Canonicalizer) canonicalPrefix(raw []byte) (end int, ok bool) {
	z.top = z.top[:0]
	v := validator{in: raw, canonical: true, top: &z.top}
	if len(raw) == 0 || !v.value() {
		return 0, false
	}
	return v.pos, true
}

// appendValue is AppendValue without its fast path: every value
// canonicalised.
func (z *Canonicalizer) appendValue(dst, raw []byte) (out []byte, end int, err error) {
	c := &z.c
	c.in, c.pos, c.run, c.out, c.depth = raw, 0, 0, dst, 0
	c.members, c.keys = c.members[:0], c.keys[:0]
	z.top = z.top[:0]
	c.top = &z.top
	defer func() { c.in, c.out, c.top = nil, nil, nil }()
	c.space()
	if c.pos == len(c.in) {
		return nil, 0, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if err := c.value(); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c.flush()
	return c.out, c.pos, nil
}

// Member returns the value of the member named name of the object that
// the last successful AppendValue read, byte for byte as read (a slice of
// its input, not in canonical form), and whether it has one. Keys are
// compared unescaped and the last of duplicate keys wins, as
// encoding/json decides. A caller that needs a field or two of each
// object it canonicalises (the client files list objects by id) so spares
// a second scan.
func (z *Canonicalizer) Member(name string) ([]byte, bool) {
	for i := len(z.top) - 1; i >= 0; i-- {
		if string(z.top[i].key) == name {
			return z.top[i].raw, true
		}
	}
	return nil, false
}

// Reset drops what the Canonicalizer holds of its last input (Member's
// keys and values are slices of it), keeping its buffers: a
// Canonicalizer kept for later does not keep a page alive.
func (z *Canonicalizer) Reset() {
	clear(z.top[:cap(z.top)])
	z.top = z.top[:0]
	z.c.members = z.c.members[:0]
}
