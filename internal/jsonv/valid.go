package jsonv

import (
	"bytes"
	"unicode/utf8"
)

// Valid reports whether raw is one valid JSON value (surrounding
// whitespace allowed), exactly as encoding/json's Valid does (FuzzValid
// checks that), in one pass that writes nothing: the client checks every
// answer with it before anything reads the answer. Measured on the
// fake's item pages it takes a third of encoding/json.Valid's time
// (BenchmarkValid).
func Valid(raw []byte) bool {
	v := validator{in: raw}
	v.space()
	if v.pos == len(v.in) || !v.value() {
		return false
	}
	v.space()
	return v.pos == len(v.in)
}

// IsCanonical reports whether raw is already its own canonical form
// (Canonical(raw) would return raw), in one pass that stops at the first
// sign it is not: whitespace, object keys out of order or repeated, a
// string with an escape (which may or may not change; the check says no,
// and the caller canonicalises), invalid UTF-8 or U+2028 and U+2029 (which
// the canonical form replaces or escapes). Valid UTF-8 outside ASCII
// passes: the canonical form keeps it as it is. A store that hashes
// objects skips the copy for the ones that pass.
func IsCanonical(raw []byte) bool {
	v := validator{in: raw, canonical: true}
	return len(raw) > 0 && v.value() && v.pos == len(v.in)
}

type validator struct {
	in    []byte
	pos   int
	depth int
	// canonical: accept only canonical JSON, conservatively (IsCanonical).
	canonical bool
	// top, when set (with canonical), collects the members of the
	// outermost object as read (Canonicalizer.AppendValue's fast path).
	top *[]topMember
}

func (v *validator) space() {
	if v.canonical {
		return // whitespace is then invalid wherever it appears
	}
	for v.pos < len(v.in) {
		switch v.in[v.pos] {
		case ' ', '\t', '\n', '\r':
			v.pos++
		default:
			return
		}
	}
}

func (v *validator) value() bool {
	if v.pos >= len(v.in) {
		return false
	}
	switch b := v.in[v.pos]; {
	case b == '{':
		return v.object()
	case b == '[':
		return v.array()
	case b == '"':
		return v.str()
	case b == '-' || (b >= '0' && b <= '9'):
		return v.number()
	case b == 't':
		return v.literal("true")
	case b == 'f':
		return v.literal("false")
	case b == 'n':
		return v.literal("null")
	}
	return false
}

func (v *validator) literal(lit string) bool {
	if len(v.in)-v.pos < len(lit) || string(v.in[v.pos:v.pos+len(lit)]) != lit {
		return false
	}
	v.pos += len(lit)
	return true
}

func (v *validator) digits() int {
	n := 0
	for v.pos < len(v.in) && v.in[v.pos] >= '0' && v.in[v.pos] <= '9' {
		v.pos++
		n++
	}
	return n
}

func (v *validator) number() bool {
	if v.in[v.pos] == '-' {
		v.pos++
	}
	switch {
	case v.pos < len(v.in) && v.in[v.pos] == '0':
		v.pos++
	case v.digits() == 0:
		return false
	}
	if v.pos < len(v.in) && v.in[v.pos] == '.' {
		v.pos++
		if v.digits() == 0 {
			return false
		}
	}
	if v.pos < len(v.in) && (v.in[v.pos] == 'e' || v.in[v.pos] == 'E') {
		v.pos++
		if v.pos < len(v.in) && (v.in[v.pos] == '+' || v.in[v.pos] == '-') {
			v.pos++
		}
		if v.digits() == 0 {
			return false
		}
	}
	return true
}

// str checks a string: no control characters, valid escapes. Invalid
// UTF-8 is accepted, as encoding/json accepts it, but not when canonical
// (nor an escape, nor U+2028 and U+2029).
func (v *validator) str() bool {
	i := v.pos + 1
	for i < len(v.in) {
		if i = plainEnd(v.in, i); i >= len(v.in) {
			return false
		}
		switch b := v.in[i]; {
		case b == '"':
			v.pos = i + 1
			return true
		case b < 0x20:
			return false
		case v.canonical && b == '\\':
			return false
		case v.canonical && b >= utf8.RuneSelf:
			// Kept as is by the canonical form unless invalid (replaced
			// by U+FFFD) or a line or paragraph separator (escaped).
			r, n := utf8.DecodeRune(v.in[i:])
			if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += n
		case b == '\\':
			if i+1 >= len(v.in) {
				return false
			}
			switch v.in[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(v.in[i+2:]); !ok {
					return false
				}
				i += 6
			default:
				return false
			}
		default:
			i++
		}
	}
	return false
}

func (v *validator) enter() bool {
	v.depth++
	v.pos++
	return v.depth <= maxDepth
}

func (v *validator) array() bool {
	if !v.enter() {
		return false
	}
	v.space()
	if v.pos < len(v.in) && v.in[v.pos] == ']' {
		v.pos++
		v.depth--
		return true
	}
	for {
		v.space()
		if !v.value() {
			return false
		}
		v.space()
		if v.pos >= len(v.in) {
			return false
		}
		switch v.in[v.pos] {
		case ',':
			v.pos++
		case ']':
			v.pos++
			v.depth--
			return true
		default:
			return false
		}
	}
}

func (v *validator) object() bool {
	if !v.enter() {
		return false
	}
	v.space()
	if v.pos < len(v.in) && v.in[v.pos] == '}' {
		v.pos++
		v.depth--
		return true
	}
	var prev []byte // the previous key, when canonical
	for {
		v.space()
		start := v.pos + 1
		if v.pos >= len(v.in) || v.in[v.pos] != '"' || !v.str() {
			return false
		}
		if v.canonical {
			key := v.in[start : v.pos-1]
			if prev != nil && bytes.Compare(prev, key) >= 0 {
				return false
			}
			prev = key
		}
		v.space()
		if v.pos >= len(v.in) || v.in[v.pos] != ':' {
			return false
		}
		v.pos++
		v.space()
		vstart := v.pos
		if !v.value() {
			return false
		}
		if v.top != nil && v.depth == 1 {
			*v.top = append(*v.top, topMember{key: prev, raw: v.in[vstart:v.pos]})
		}
		v.space()
		if v.pos >= len(v.in) {
			return false
		}
		switch v.in[v.pos] {
		case ',':
			v.pos++
		case '}':
			v.pos++
			v.depth--
			return true
		default:
			return false
		}
	}
}
