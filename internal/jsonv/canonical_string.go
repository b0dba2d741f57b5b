package jsonv

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// str takes the string at c.pos in canonical form and moves past it. For
// a key it also returns where the unescaped bytes are: ks:ke of the input
// when the contents are written as they were, of c.keys (inKeys) when not.
//
// Most strings are taken as they are: printable ASCII and valid UTF-8
// other than U+2028 and U+2029. Those are checked a word at a time
// (plainEnd) and left pending (canon); a string with anything else is
// written from there on by strBody.
func (c *canon) str(key bool) (ks, ke int, inKeys bool, err error) {
	start := c.pos + 1
	i := start
	for {
		i = plainEnd(c.in, i)
		if i >= len(c.in) {
			break
		}
		b := c.in[i]
		if b == '"' {
			c.pos = i + 1 // pending: written as it is
			return start, i, false, nil
		}
		if b < utf8.RuneSelf {
			break // an escape or a control character
		}
		if b >= 0xc2 && b <= 0xdf && i+1 < len(c.in) && c.in[i+1]&0xc0 == 0x80 {
			i += 2 // two bytes of valid UTF-8, the most common
			continue
		}
		r, n := utf8.DecodeRune(c.in[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			break
		}
		i += n
	}
	c.out = append(c.out, c.in[c.run:i]...) // up to here, as it is
	end, changed, err := c.strBody(start, i, true)
	if err != nil {
		return 0, 0, false, err
	}
	c.pos = end + 1
	c.run = c.pos
	if !key || !changed {
		return start, end, false, nil
	}
	saved := c.out
	c.out = c.keys
	ks = len(c.out)
	if _, _, err := c.strBody(start, start, false); err != nil {
		return 0, 0, false, err
	}
	ke = len(c.out)
	c.keys, c.out = c.out, saved
	return ks, ke, true, nil
}

// strBody reads a string's contents from i to its closing quote (whose
// offset it returns); start is where the contents begin. With escape it
// appends the canonical JSON string from i on, closing quote included
// (the caller wrote the opening quote and the bytes before i); without,
// the unescaped bytes. changed reports that the contents from i were not
// already plain text that needs no escaping.
func (c *canon) strBody(start, i int, escape bool) (end int, changed bool, err error) {
	if !escape {
		// The unescaped bytes: everything from start.
		i = start
	}
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
			r, n, err := unescape(c.in[i:])
			if err != nil {
				return 0, false, fmt.Errorf("%v at offset %d", err, i)
			}
			i += n
			changed = true
			c.putRune(r, escape)
		case b < utf8.RuneSelf:
			j := plainEnd(c.in, i+1)
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
func (c *canon) putRune(r rune, escape bool) {
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

// unescape decodes the escape sequence at the start of b, returning the rune
// and the bytes consumed. A surrogate pair makes one rune; a lone surrogate
// is U+FFFD.
func unescape(b []byte) (rune, int, error) {
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
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0, fmt.Errorf("bad \\u escape")
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, nil
		}
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, 12, nil
				}
			}
		}
		return utf8.RuneError, 6, nil
	}
	return 0, 0, fmt.Errorf("bad escape \\%c", b[1])
}

func hex4(b []byte) (rune, bool) {
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

// plainEnd returns the offset of the first byte of b at or after i that a
// canonical string does not keep as it is (a control character, the
// quote, the backslash, or a byte of 0x80 and above), or len(b). It reads
// eight bytes a step: strings are most of a record's bytes, and a loop
// of one byte a step was a sixth of canonicalising.
func plainEnd(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		// Each term sets the high bit of the lowest byte it matches
		// (and perhaps of bytes above it, through the borrow): below 0x20,
		// a quote, a backslash, or 0x80 and above. A subtraction also
		// sets it in a byte of 0x80 and above, which x sets anyway (the
		// usual &^x, the same high bits for the three, is not needed).
		m := ((x - ones*0x20) | (quote - ones) | (backslash - ones) | x) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// plain holds the bytes a canonical string keeps as they are: ASCII from
// space up, except the quote and the backslash. One load a byte instead of
// four comparisons in the loop that copies runs of them.
var plain = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()
