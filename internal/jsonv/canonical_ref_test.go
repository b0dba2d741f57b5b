package jsonv

// The canonicaliser as it was before the general path was rewritten for
// speed (main at 15e8b9c), kept as the reference that FuzzCanonicalSameAsBefore
// holds the current one to, byte for byte: the canonical form is a blob's
// address, so it must never change for any input.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// refAppendCanonical appends the canonical form of raw to dst and returns the
// extended slice; on error dst's contents past its length are undefined.
// With a dst that has room, it allocates nothing: the store hashes every
// object of a backup through it with one reused buffer.
func refAppendCanonical(dst, raw []byte) ([]byte, error) {
	c := refCanonPool.Get().(*refCanon)
	defer func() {
		c.in, c.out = nil, nil
		clear(c.members[:cap(c.members)]) // keys alias inputs
		c.members = c.members[:0]
		refCanonPool.Put(c)
	}()
	c.in, c.pos, c.out, c.depth = raw, 0, dst, 0
	c.space()
	if c.pos == len(c.in) {
		return nil, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if err := c.value(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, fmt.Errorf("%w: data after the value at offset %d", ErrInvalid, c.pos)
	}
	return c.out, nil
}

// refCanonPool keeps the canonicalisers' member stacks and scratch buffers
// from one call to the next.
var refCanonPool = sync.Pool{New: func() any { return new(refCanon) }}

type refCanon struct {
	in      []byte
	pos     int
	out     []byte
	depth   int
	members []refMember // a stack: each object uses the entries above its base
	scratch []byte
	// top, when set, collects the members of the outermost object as
	// read (Canonicalizer.Member).
	top *[]topMember
}

// refMember is one written object member: its unescaped key and the range of
// `"key":value` in out.
type refMember struct {
	key        []byte
	start, end int
}

func (c *refCanon) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *refCanon) unexpected() error {
	if c.pos >= len(c.in) {
		return fmt.Errorf("unexpected end of input")
	}
	return fmt.Errorf("invalid character %q at offset %d", c.in[c.pos], c.pos)
}

func (c *refCanon) value() error {
	if c.pos >= len(c.in) {
		return c.unexpected()
	}
	switch b := c.in[c.pos]; {
	case b == '{':
		return c.object()
	case b == '[':
		return c.array()
	case b == '"':
		_, err := c.str(false)
		return err
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	}
	return c.unexpected()
}

func (c *refCanon) literal(lit string) error {
	if !bytes.HasPrefix(c.in[c.pos:], []byte(lit)) {
		return fmt.Errorf("invalid literal at offset %d", c.pos)
	}
	c.out = append(c.out, lit...)
	c.pos += len(lit)
	return nil
}

// number copies a number as written, after checking its grammar.
func (c *refCanon) number() error {
	start := c.pos
	digits := func() int {
		n := 0
		for c.pos < len(c.in) && c.in[c.pos] >= '0' && c.in[c.pos] <= '9' {
			c.pos++
			n++
		}
		return n
	}
	if c.in[c.pos] == '-' {
		c.pos++
	}
	switch {
	case c.pos < len(c.in) && c.in[c.pos] == '0':
		c.pos++
	case digits() == 0:
		return fmt.Errorf("invalid number at offset %d", start)
	}
	if c.pos < len(c.in) && c.in[c.pos] == '.' {
		c.pos++
		if digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	if c.pos < len(c.in) && (c.in[c.pos] == 'e' || c.in[c.pos] == 'E') {
		c.pos++
		if c.pos < len(c.in) && (c.in[c.pos] == '+' || c.in[c.pos] == '-') {
			c.pos++
		}
		if digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	c.out = append(c.out, c.in[start:c.pos]...)
	return nil
}

func (c *refCanon) enter() error {
	c.depth++
	if c.depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d at offset %d", maxDepth, c.pos)
	}
	c.pos++ // the opening bracket
	return nil
}

func (c *refCanon) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.out = append(c.out, '[')
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.depth--
		c.out = append(c.out, ']')
		return nil
	}
	for {
		c.space()
		if err := c.value(); err != nil {
			return err
		}
		c.space()
		if c.pos >= len(c.in) {
			return c.unexpected()
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.depth--
			c.out = append(c.out, ']')
			return nil
		default:
			return c.unexpected()
		}
	}
}

func (c *refCanon) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.out = append(c.out, '{')
	base := len(c.members)
	defer func() { c.members = c.members[:base] }()
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		c.depth--
		c.out = append(c.out, '}')
		return nil
	}
	for {
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return c.unexpected()
		}
		start := len(c.out)
		key, err := c.str(true)
		if err != nil {
			return err
		}
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return c.unexpected()
		}
		c.pos++
		c.out = append(c.out, ':')
		c.space()
		vstart := c.pos
		if err := c.value(); err != nil {
			return err
		}
		c.members = append(c.members, refMember{key: key, start: start, end: len(c.out)})
		if c.top != nil && c.depth == 1 {
			*c.top = append(*c.top, topMember{key: key, raw: c.in[vstart:c.pos]})
		}
		c.space()
		if c.pos >= len(c.in) {
			return c.unexpected()
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case '}':
			c.pos++
			c.depth--
			c.sortMembers(c.members[base:])
			c.out = append(c.out, '}')
			return nil
		default:
			return c.unexpected()
		}
	}
}

// sortMembers rewrites the members in key order, keeping only the last of
// equal keys. Members already in strict order are left as written.
func (c *refCanon) sortMembers(ms []refMember) {
	ordered := true
	for i := 1; i < len(ms) && ordered; i++ {
		ordered = refCompareKeys(ms[i-1].key, ms[i].key) < 0
	}
	if ordered {
		return
	}
	region := ms[0].start
	c.scratch = append(c.scratch[:0], c.out[region:]...)
	c.out = c.out[:region]
	if len(ms) > 16 {
		slices.SortStableFunc(ms, func(a, b refMember) int { return refCompareKeys(a.key, b.key) })
		c.writeSorted(ms, region, nil)
		return
	}
	// Objects are small: an insertion sort of their indices (stable, as
	// the fallback is), which moves no pointers, so the garbage collector
	// has no write barrier to run for each swap.
	var idx [16]uint8
	order := idx[:len(ms)]
	for i := range order {
		order[i] = uint8(i)
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && refCompareKeys(ms[order[j-1]].key, ms[order[j]].key) > 0; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	c.writeSorted(ms, region, order)
}

// writeSorted appends to out the members, saved in scratch from region
// on, in the order given (by index into ms, or ms's own order when nil),
// skipping all but the last of equal keys.
func (c *refCanon) writeSorted(ms []refMember, region int, order []uint8) {
	if order == nil {
		for i := range ms {
			if i+1 < len(ms) && bytes.Equal(ms[i].key, ms[i+1].key) {
				continue // a later duplicate wins
			}
			c.put(&ms[i], region)
		}
		return
	}
	for i, o := range order {
		if i+1 < len(order) && bytes.Equal(ms[o].key, ms[order[i+1]].key) {
			continue // a later duplicate wins
		}
		c.put(&ms[o], region)
	}
}

// put appends member m, saved in scratch from region on, after a comma
// unless it is the first.
func (c *refCanon) put(m *refMember, region int) {
	if len(c.out) > region {
		c.out = append(c.out, ',')
	}
	c.out = append(c.out, c.scratch[m.start-region:m.end-region]...)
}

// refCompareKeys is bytes.Compare, deciding on the first byte without a call
// when it differs, as it mostly does between an object's keys.
func refCompareKeys(a, b []byte) int {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		if a[0] < b[0] {
			return -1
		}
		return 1
	}
	return bytes.Compare(a, b)
}

// str writes the string at c.pos in canonical form. For a key it also
// returns the unescaped bytes: a slice of the input when nothing changed.
func (c *refCanon) str(key bool) ([]byte, error) {
	start := c.pos + 1
	end, changed, err := c.strBody(start, true)
	if err != nil {
		return nil, err
	}
	c.pos = end + 1
	if !key {
		return nil, nil
	}
	if !changed {
		return c.in[start:end], nil
	}
	saved := c.out
	c.out = nil
	if _, _, err := c.strBody(start, false); err != nil {
		return nil, err
	}
	k := c.out
	c.out = saved
	return k, nil
}

// strBody reads a string's contents from start to its closing quote (whose
// offset it returns). With escape it appends the canonical JSON string,
// quotes included; without, the unescaped bytes. changed reports that the
// contents were not already plain text that needs no escaping.
func (c *refCanon) strBody(start int, escape bool) (end int, changed bool, err error) {
	if escape {
		c.out = append(c.out, '"')
	}
	i := start
	for {
		if i >= len(c.in) {
			return 0, false, fmt.Errorf("unterminated string at offset %d", start-1)
		}
		b := c.in[i]
		switch {
		case b == '"':
			if escape {
				c.out = append(c.out, '"')
			}
			return i, changed, nil
		case b < 0x20:
			return 0, false, fmt.Errorf("control character in string at offset %d", i)
		case b == '\\':
			r, n, err := refUnescape(c.in[i:])
			if err != nil {
				return 0, false, fmt.Errorf("%v at offset %d", err, i)
			}
			i += n
			changed = true
			c.putRune(r, escape)
		case b < utf8.RuneSelf:
			j := refPlainEnd(c.in, i+1)
			c.out = append(c.out, c.in[i:j]...)
			i = j
		default:
			r, n := utf8.DecodeRune(c.in[i:])
			i += n
			if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
				changed = true
				c.putRune(r, escape)
				continue
			}
			c.out = append(c.out, c.in[i-n:i]...)
		}
	}
}

// putRune appends r, escaped the canonical way when escape is set.
func (c *refCanon) putRune(r rune, escape bool) {
	if !escape {
		c.out = utf8.AppendRune(c.out, r)
		return
	}
	const hex = "0123456789abcdef"
	switch {
	case r == '"' || r == '\\':
		c.out = append(c.out, '\\', byte(r))
	case r == '\b':
		c.out = append(c.out, '\\', 'b')
	case r == '\f':
		c.out = append(c.out, '\\', 'f')
	case r == '\n':
		c.out = append(c.out, '\\', 'n')
	case r == '\r':
		c.out = append(c.out, '\\', 'r')
	case r == '\t':
		c.out = append(c.out, '\\', 't')
	case r < 0x20:
		c.out = append(c.out, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
	case r == '\u2028' || r == '\u2029':
		c.out = append(c.out, '\\', 'u', '2', '0', '2', hex[r&0xf])
	default:
		c.out = utf8.AppendRune(c.out, r)
	}
}

// refUnescape decodes the escape sequence at the start of b, returning the rune
// and the bytes consumed. A surrogate pair makes one rune; a lone surrogate
// is U+FFFD.
func refUnescape(b []byte) (rune, int, error) {
	if len(b) < 2 {
		return 0, 0, fmt.Errorf("unterminated escape")
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		r, ok := refHex4(b[2:])
		if !ok {
			return 0, 0, fmt.Errorf("bad \\u escape")
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, nil
		}
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := refHex4(b[8:]); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, 12, nil
				}
			}
		}
		return utf8.RuneError, 6, nil
	}
	return 0, 0, fmt.Errorf("bad escape \\%c", b[1])
}

func refHex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, x := range b[:4] {
		switch {
		case x >= '0' && x <= '9':
			x -= '0'
		case x >= 'a' && x <= 'f':
			x = x - 'a' + 10
		case x >= 'A' && x <= 'F':
			x = x - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(x)
	}
	return r, true
}

// refPlainEnd returns the offset of the first byte of b at or after i that a
// canonical string does not keep as it is (a control character, the
// quote, the backslash, or a byte of 0x80 and above), or len(b). It reads
// eight bytes a step: strings are most of a record's bytes, and a loop
// of one byte a step was a sixth of canonicalising.
func refPlainEnd(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		// Each term sets the high bit of the lowest byte it matches
		// (and perhaps of bytes above it, through the borrow): below 0x20,
		// a quote, a backslash, or 0x80 and above.
		m := ((x-ones*0x20)&^x | (quote-ones)&^quote | (backslash-ones)&^backslash | x) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && refPlain[b[i]] {
		i++
	}
	return i
}

// refPlain holds the bytes a canonical string keeps as they are: ASCII from
// space up, except the quote and the backslash. One load a byte instead of
// four comparisons in the loop that copies runs of them.
var refPlain = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()
