package diff

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// decode parses one JSON value with numbers kept as json.Number, and
// refuses empty input and data after the value (ErrInvalidJSON).
func decode(raw []byte) (any, error) { return jsonv.Decode(raw) }

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
		// A member set to null is the member absent, as in canon.
		for k, vx := range x {
			q := p.key(k)
			if c.isServer(q) {
				continue
			}
			if vy := y[k]; vx == nil && vy == nil {
				continue
			} else if vx == nil || vy == nil || !c.equal(q, vx, vy) {
				return false
			}
		}
		for k, vy := range y {
			if _, ok := x[k]; !ok && vy != nil && !c.isServer(p.key(k)) {
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
	return jsonv.Equal(x, y)
}

// canon writes the canonical form of v found at p, as this kind compares
// it: members sorted, server-assigned and null members left out (null and
// absent are one value), numbers by value, unordered lists sorted. Two values with the same canonical form have no
// field change between them. Without server-assigned or unordered paths
// it is jsonv.Key(v).
func (c *compiled) canon(b *strings.Builder, p path, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := sortedKeys(v)
		b.WriteByte('{')
		first := true
		for _, k := range keys {
			q := p.key(k)
			if c.isServer(q) || v[k] == nil {
				continue // null is absent (the contract's section 6)
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
		b.WriteString(jsonv.NumberKey(string(v)))
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
