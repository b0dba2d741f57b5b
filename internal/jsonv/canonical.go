package jsonv

import (
	"bytes"
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
	c := canonPool.Get().(*canon)
	defer func() {
		c.in, c.out = nil, nil
		clear(c.members[:cap(c.members)]) // keys alias inputs
		c.members = c.members[:0]
		canonPool.Put(c)
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

// canonPool keeps the canonicalisers' member stacks and scratch buffers
// from one call to the next.
var canonPool = sync.Pool{New: func() any { return new(canon) }}

type canon struct {
	in      []byte
	pos     int
	out     []byte
	depth   int
	members []member // a stack: each object uses the entries above its base
	scratch []byte
	// top, when set, collects the members of the outermost object as
	// read (Canonicalizer.Member).
	top *[]topMember
}

// member is one written object member: its unescaped key and the range of
// `"key":value` in out.
type member struct {
	key        []byte
	start, end int
}

func (c *canon) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
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

func (c *canon) literal(lit string) error {
	if !bytes.HasPrefix(c.in[c.pos:], []byte(lit)) {
		return fmt.Errorf("invalid literal at offset %d", c.pos)
	}
	c.out = append(c.out, lit...)
	c.pos += len(lit)
	return nil
}

// number copies a number as written, after checking its grammar.
func (c *canon) number() error {
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

func (c *canon) object() error {
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
		c.members = append(c.members, member{key: key, start: start, end: len(c.out)})
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
func (c *canon) sortMembers(ms []member) {
	ordered := true
	for i := 1; i < len(ms) && ordered; i++ {
		ordered = compareKeys(ms[i-1].key, ms[i].key) < 0
	}
	if ordered {
		return
	}
	region := ms[0].start
	c.scratch = append(c.scratch[:0], c.out[region:]...)
	c.out = c.out[:region]
	if len(ms) > 16 {
		slices.SortStableFunc(ms, func(a, b member) int { return compareKeys(a.key, b.key) })
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
		for j := i; j > 0 && compareKeys(ms[order[j-1]].key, ms[order[j]].key) > 0; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	c.writeSorted(ms, region, order)
}

// writeSorted appends to out the members, saved in scratch from region
// on, in the order given (by index into ms, or ms's own order when nil),
// skipping all but the last of equal keys.
func (c *canon) writeSorted(ms []member, region int, order []uint8) {
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
func (c *canon) put(m *member, region int) {
	if len(c.out) > region {
		c.out = append(c.out, ',')
	}
	c.out = append(c.out, c.scratch[m.start-region:m.end-region]...)
}

// compareKeys is bytes.Compare, deciding on the first byte without a call
// when it differs, as it mostly does between an object's keys.
func compareKeys(a, b []byte) int {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		if a[0] < b[0] {
			return -1
		}
		return 1
	}
	return bytes.Compare(a, b)
}
