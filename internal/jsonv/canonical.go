package jsonv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// maxDepth is the deepest nesting Canonical accepts, as encoding/json.
const maxDepth = 10000

// Canonical returns the canonical form of one JSON value: object keys sorted
// bytewise (after unescaping), duplicate keys reduced to the last, no
// insignificant whitespace, numbers exactly as written, strings re-escaped
// one way. Two documents that differ only in key order, whitespace or
// string escaping have the same canonical form, and
// Canonical(Canonical(x)) equals Canonical(x). It fails with ErrInvalid on
// invalid JSON, an empty input, data after the value and nesting deeper
// than 10,000. Numbers keep their spelling: "1" and "1.0" have different
// canonical forms, though Equal calls them equal (see the package doc).
//
// Strings are written as UTF-8 with only these escapes: \" and \\, \b \f \n
// \r \t, \u00XX (lowercase hex) for other control characters, and \u2028 and
// \u2029; invalid UTF-8 bytes and lone surrogates become U+FFFD. HTML
// characters are not escaped. This is what Go's encoding/json (since Go
// 1.22, SetEscapeHTML(false)) writes for the same value, fixed here so
// addresses never depend on the Go release.
func Canonical(raw []byte) ([]byte, error) {
	return AppendCanonical(make([]byte, 0, len(raw)), raw)
}

// AppendCanonical appends the canonical form of raw to dst and returns the
// extended slice; on error dst's contents past its length are undefined.
// With a dst that has room, it allocates nothing: the store hashes every
// object of a backup through it with one reused buffer.
func AppendCanonical(dst, raw []byte) ([]byte, error) {
	out, _, err := appendCanonical(dst, raw, false)
	return out, err
}

// CanonicalForm returns the canonical form of raw, as Canonical does, in
// one pass that copies nothing when raw is already canonical: it returns
// raw itself (copied false) when raw is its own canonical form with no
// escape in its strings, else the form written into buf from its start
// (copied true; buf's capacity is used, its contents are not kept). A
// content hash of raw so reads raw once, where IsCanonical (which gives
// up at the first sign) and then AppendCanonical read most of it twice
// when its keys are out of order late in it.
func CanonicalForm(buf, raw []byte) (form []byte, copied bool, err error) {
	return appendCanonical(buf[:0], raw, true)
}

// appendCanonical is AppendCanonical; with same, it returns raw itself
// when raw is its own canonical form and dst is empty (copied false).
func appendCanonical(dst, raw []byte, same bool) (out []byte, copied bool, err error) {
	c := canonPool.Get().(*canon)
	c.in, c.pos, c.run, c.out, c.depth = raw, 0, 0, dst, 0
	out, copied, err = c.whole(same)
	c.in, c.out = nil, nil // the members hold no pointers: nothing else to drop
	c.members, c.keys = c.members[:0], c.keys[:0]
	canonPool.Put(c)
	return out, copied, err
}

// whole canonicalises c.in, which must hold one value and nothing else.
// With same, when out was empty and no byte of the input was changed,
// left out or moved, it returns the input itself, not copied.
func (c *canon) whole(same bool) (out []byte, copied bool, err error) {
	start := len(c.out)
	c.space()
	if c.pos == len(c.in) {
		return nil, false, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if err := c.value(); err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, false, fmt.Errorf("%w: data after the value at offset %d", ErrInvalid, c.pos)
	}
	if same && c.run == 0 && start == 0 && len(c.out) == 0 {
		return c.in, false, nil // the input is its own canonical form
	}
	c.flush()
	return c.out, true, nil
}

// canonPool keeps the canonicalisers' member stacks and scratch buffers
// from one call to the next.
var canonPool = sync.Pool{New: func() any { return new(canon) }}

// canon writes the canonical form lazily: the input bytes the form takes
// as they are (most of them: punctuation, numbers, literals, strings
// without escapes) are not copied one token at a time but left pending,
// in[run:pos], and written in one copy where the form departs from the
// input (whitespace left out, a string re-escaped, an object's members
// reordered) or ends. Offsets in the output (members' ranges) count the
// pending bytes (at).
type canon struct {
	in      []byte
	pos     int
	run     int // out continues with in[run:pos], not yet written
	out     []byte
	depth   int
	members []member // a stack: each object uses the entries above its base
	scratch []byte
	// keys holds the unescaped keys that are not their input's bytes (an
	// escape, or a byte replaced), for members to point into.
	keys []byte
	// top, when set, collects the members of the outermost object as
	// read (Canonicalizer.Member).
	top *[]topMember
}

// member is one written object member: where its unescaped key is (in
// the input, or in keys when it had escapes), the key's first eight bytes
// as a number (zero-padded, big-endian: ordered as the keys are, but for
// a tie), and the range of `"key":value` in out. It holds no pointer: the
// stack is written without the garbage collector's write barrier, and
// needs no clearing to let go of an input.
type member struct {
	prefix     uint64
	ks, ke     int
	inKeys     bool
	start, end int
}

// keyPrefix is the first eight bytes of k as a big-endian number, zero
// padded: two keys whose prefixes differ compare as their prefixes do
// (a shorter key is padded with zeros, which sort first, and a real
// zero byte where the other key ends makes a tie, decided by the keys).
func keyPrefix(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var p uint64
	for i, b := range k {
		p |= uint64(b) << (56 - 8*i)
	}
	return p
}

// key returns m's unescaped key.
func (c *canon) key(m *member) []byte {
	if m.inKeys {
		return c.keys[m.ks:m.ke]
	}
	return c.in[m.ks:m.ke]
}

// compare orders members by key, bytewise, as bytes.Compare.
func (c *canon) compare(a, b *member) int {
	if a.prefix != b.prefix {
		if a.prefix < b.prefix {
			return -1
		}
		return 1
	}
	return bytes.Compare(c.key(a), c.key(b))
}

// flush writes the pending input bytes.
func (c *canon) flush() {
	c.out = append(c.out, c.in[c.run:c.pos]...)
	c.run = c.pos
}

// at is the offset in the output of the next byte: what is written and
// what is pending.
func (c *canon) at() int { return len(c.out) + c.pos - c.run }

// space skips whitespace; canonical input has none, so the common case
// is one comparison, inlined.
func (c *canon) space() {
	if c.pos < len(c.in) && c.in[c.pos] <= ' ' {
		c.skipSpace()
	}
}

// skipSpace skips whitespace, writing the pending bytes before it: the
// form goes on after it.
func (c *canon) skipSpace() {
	start := c.pos
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
			continue
		}
		break
	}
	if c.pos > start {
		c.out = append(c.out, c.in[c.run:start]...)
		c.run = c.pos
	}
}

func (c *canon) unexpected() error {
	if c.pos >= len(c.in) {
		return fmt.Errorf("unexpected end of input")
	}
	return fmt.Errorf("invalid character %q at offset %d", c.in[c.pos], c.pos)
}

func (c *canon) value() error {
	if c.pos >= len(c.in) {
		return c.unexpected()
	}
	switch b := c.in[c.pos]; {
	case b == '"':
		_, _, _, err := c.str(false)
		return err
	case b == '{':
		return c.object()
	case b == '[':
		return c.array()
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

func (c *canon) literal(lit string) error {
	if len(c.in)-c.pos < len(lit) || string(c.in[c.pos:c.pos+len(lit)]) != lit {
		return fmt.Errorf("invalid literal at offset %d", c.pos)
	}
	c.pos += len(lit) // pending: written as it is
	return nil
}

// digits skips the decimal digits at c.pos and reports how many.
func (c *canon) digits() int {
	i := c.pos
	for i < len(c.in) && c.in[i]-'0' <= 9 {
		i++
	}
	n := i - c.pos
	c.pos = i
	return n
}

// number takes a number as written, after checking its grammar.
func (c *canon) number() error {
	start := c.pos
	if c.in[c.pos] == '-' {
		c.pos++
	}
	switch {
	case c.pos < len(c.in) && c.in[c.pos] == '0':
		c.pos++
	case c.digits() == 0:
		return fmt.Errorf("invalid number at offset %d", start)
	}
	if c.pos < len(c.in) && c.in[c.pos] == '.' {
		c.pos++
		if c.digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	if c.pos < len(c.in) && (c.in[c.pos] == 'e' || c.in[c.pos] == 'E') {
		c.pos++
		if c.pos < len(c.in) && (c.in[c.pos] == '+' || c.in[c.pos] == '-') {
			c.pos++
		}
		if c.digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	return nil // pending: written as it is
}

func (c *canon) enter() error {
	c.depth++
	if c.depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d at offset %d", maxDepth, c.pos)
	}
	c.pos++ // the opening bracket
	return nil
}

func (c *canon) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.depth--
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
		case ']':
			c.pos++
			c.depth--
			return nil
		default:
			return c.unexpected()
		}
	}
}

func (c *canon) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	base := len(c.members)
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		c.depth--
		return nil
	}
	for {
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return c.unexpected()
		}
		m := member{start: c.at()}
		var err error
		if m.ks, m.ke, m.inKeys, err = c.str(true); err != nil {
			return err
		}
		if !m.inKeys && m.ks+8 <= len(c.in) {
			// Eight bytes of the input from the key on, those past
			// it masked off: keyPrefix without its loop.
			m.prefix = binary.BigEndian.Uint64(c.in[m.ks:])
			if n := m.ke - m.ks; n < 8 {
				m.prefix &^= ^uint64(0) >> (8 * n)
			}
		} else {
			m.prefix = keyPrefix(c.key(&m))
		}
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return c.unexpected()
		}
		c.pos++
		c.space()
		vstart := c.pos
		if err := c.value(); err != nil {
			return err
		}
		m.end = c.at()
		c.members = append(c.members, m)
		if c.top != nil && c.depth == 1 {
			*c.top = append(*c.top, topMember{key: c.key(&m), raw: c.in[vstart:c.pos]})
		}
		c.space()
		if c.pos >= len(c.in) {
			return c.unexpected()
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
		case '}':
			if ms := c.members[base:]; !c.ordered(ms) {
				c.flush() // the members, for sortMembers to rewrite
				c.sortMembers(ms)
				c.run = c.pos // the brace, pending
			}
			c.members = c.members[:base]
			c.pos++
			c.depth--
			return nil
		default:
			return c.unexpected()
		}
	}
}

// ordered reports whether the members are in strict key order (no
// duplicates): the canonical order, as written.
func (c *canon) ordered(ms []member) bool {
	for i := 1; i < len(ms); i++ {
		if c.compare(&ms[i-1], &ms[i]) >= 0 {
			return false
		}
	}
	return true
}

// sortMembers rewrites the members, written in out from the first one's
// start to its end, in key order, keeping only the last of equal keys.
func (c *canon) sortMembers(ms []member) {
	region := ms[0].start
	c.scratch = append(c.scratch[:0], c.out[region:]...)
	if len(ms) > 16 {
		slices.SortStableFunc(ms, func(a, b member) int { return c.compare(&a, &b) })
		c.writeSorted(ms, region, nil, true)
		return
	}
	// Objects are small: an insertion sort of their indices (stable, as
	// the fallback is), deciding on the keys' prefixes without a call
	// unless they tie. Each key meets its equal, if it has one, on its
	// way down: dup tells the writing whether to look for them.
	var idx [16]uint8
	order := idx[:len(ms)]
	for i := range order {
		order[i] = uint8(i)
	}
	dup := false
	for i := 1; i < len(order); i++ {
		for j := i; j > 0; j-- {
			a, b := &ms[order[j-1]], &ms[order[j]]
			if a.prefix < b.prefix {
				break
			}
			if a.prefix == b.prefix {
				if k := c.compare(a, b); k <= 0 {
					dup = dup || k == 0
					break
				}
			}
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	c.writeSorted(ms, region, order, dup)
}

// writeSorted writes over out from region on the members, saved in
// scratch from region on, in the order given (by index into ms, or ms's
// own order when nil), commas between them, skipping all but the last of
// equal keys when dup says there may be some. The region shrinks by the
// duplicates left out, never grows.
func (c *canon) writeSorted(ms []member, region int, order []uint8, dup bool) {
	w := region
	put := func(m *member) {
		if w > region {
			c.out[w] = ','
			w++
		}
		w += copy(c.out[w:], c.scratch[m.start-region:m.end-region])
	}
	switch {
	case order == nil:
		for i := range ms {
			if i+1 < len(ms) && c.compare(&ms[i], &ms[i+1]) == 0 {
				continue // a later duplicate wins
			}
			put(&ms[i])
		}
	case !dup:
		for _, o := range order {
			put(&ms[o])
		}
	default:
		for i, o := range order {
			if i+1 < len(order) && ms[o].prefix == ms[order[i+1]].prefix && c.compare(&ms[o], &ms[order[i+1]]) == 0 {
				continue // a later duplicate wins
			}
			put(&ms[o])
		}
	}
	c.out = c.out[:w]
}
