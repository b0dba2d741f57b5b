package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// decode parses one JSON value with numbers kept as json.Number, and
// refuses empty input and data after the value.
func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty input", ErrInvalidJSON)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the value at offset %d", ErrInvalidJSON, dec.InputOffset())
	}
	return v, nil
}

// canonNumber returns a form of a JSON number that is the same for every
// spelling of the same value: "1", "1.0", "1e0" and "10e-1" all give
// "1e1" (0.1 × 10¹); "-0" gives "0". It works on the decimal text, so
// integers of any size and decimals compare exactly, never through
// float64. An exponent beyond ±2⁶² leaves the text as written.
func canonNumber(s string) string {
	text := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(strings.TrimPrefix(s[i+1:], "+"), 10, 64)
		if err != nil || e > 1<<62 || e < -(1<<62) {
			return text
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	digits := strings.TrimLeft(all, "0")
	if digits == "" {
		return "0"
	}
	// The value is 0.digits × 10^point.
	point := int64(len(intPart)-(len(all)-len(digits))) + exp
	out := strings.TrimRight(digits, "0") + "e" + strconv.FormatInt(point, 10)
	if neg {
		out = "-" + out
	}
	return out
}

// sameValue reports whether two decoded values are equal: members in any
// order, numbers by value, lists in order.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok || !sameValue(va, vb) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && (a == b || canonNumber(string(a)) == canonNumber(string(b)))
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case nil:
		return b == nil
	}
	return false
}

// equal reports whether x and y, found at p, have no field change between
// them: what canon says, computed without building the canonical forms
// except for unordered lists, and stopping at the first difference.
func (c *compiled) equal(p path, x, y any) bool {
	switch x := x.(type) {
	case map[string]any:
		y, ok := y.(map[string]any)
		if !ok {
			return false
		}
		for k, vx := range x {
			q := p.key(k)
			if c.isServer(q) {
				continue
			}
			if vy, ok := y[k]; !ok || !c.equal(q, vx, vy) {
				return false
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok && !c.isServer(p.key(k)) {
				return false
			}
		}
		return true
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if c.isUnordered(p) {
			return c.canonString(p, x) == c.canonString(p, y)
		}
		q := p.with(seg{kind: segAny})
		for i := range x {
			if !c.equal(q, x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return sameValue(x, y)
}

// canon writes the canonical form of v found at p, as this kind compares
// it: members sorted, server-assigned paths left out, numbers by value,
// unordered lists sorted. Two values with the same canonical form have no
// field change between them.
func (c *compiled) canon(b *strings.Builder, p path, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := sortedKeys(v)
		b.WriteByte('{')
		first := true
		for _, k := range keys {
			q := p.key(k)
			if c.isServer(q) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			c.canon(b, q, v[k])
		}
		b.WriteByte('}')
	case []any:
		q := p.with(seg{kind: segAny})
		b.WriteByte('[')
		if c.isUnordered(p) {
			parts := make([]string, len(v))
			for i, e := range v {
				var eb strings.Builder
				c.canon(&eb, q, e)
				parts[i] = eb.String()
			}
			slices.Sort(parts)
			b.WriteString(strings.Join(parts, ","))
		} else {
			for i, e := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				c.canon(b, q, e)
			}
		}
		b.WriteByte(']')
	case json.Number:
		b.WriteString(canonNumber(string(v)))
	case string:
		b.WriteString(strconv.Quote(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	}
}

// canonString returns the canonical form of v found at p.
func (c *compiled) canonString(p path, v any) string {
	var b strings.Builder
	c.canon(&b, p, v)
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
