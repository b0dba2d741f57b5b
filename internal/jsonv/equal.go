package jsonv

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Equal reports whether two decoded values are the same JSON value:
// object members in any order, numbers by value (see NumberKey), lists in
// order, strings by their bytes, an object member set to null the same
// as an absent one (the API may send either). Values are what Decode returns; float64
// and Go integers are taken as numbers too, so a value built in code
// compares with a decoded one. Equal(a, b) is Key(a) == Key(b).
func Equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok {
			return false
		}
		// A member set to null is the same value as an absent one.
		for k, va := range a {
			if vb, ok := b[k]; ok || va != nil {
				if !Equal(va, vb) {
					return false
				}
			}
		}
		for k, vb := range b {
			if _, ok := a[k]; !ok && vb != nil {
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
			if !Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case nil:
		return b == nil
	case json.Number:
		if b, ok := b.(json.Number); ok && a == b {
			return true
		}
	}
	if x, ok := numberText(a); ok {
		y, ok := numberText(b)
		return ok && NumberKey(x) == NumberKey(y)
	}
	return Key(a) == Key(b)
}

// numberText returns the JSON text of a number value.
func numberText(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		return string(v), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// Key returns a text that is the same for two values exactly when Equal
// calls them equal, to use as a map key or to sort by: the value as
// compact JSON with members sorted and numbers as NumberKey writes them.
// Strings are quoted the Go way (strconv.Quote), so two different strings,
// even of invalid UTF-8, never share a key. It is not the stored
// canonical form (see Canonical), and not meant to be parsed.
func Key(v any) string { return string(AppendKey(nil, v)) }

// AppendKey appends Key(v) to dst.
func AppendKey(dst []byte, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k, e := range v {
			if e != nil { // null members are left out: the same as absent
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendQuote(dst, k)
			dst = append(dst, ':')
			dst = AppendKey(dst, v[k])
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendKey(dst, e)
		}
		return append(dst, ']')
	case string:
		return strconv.AppendQuote(dst, v)
	case bool:
		return strconv.AppendBool(dst, v)
	case nil:
		return append(dst, "null"...)
	}
	if s, ok := numberText(v); ok {
		return append(dst, NumberKey(s)...)
	}
	// Not a value Decode returns: its encoding/json text, marked so it
	// cannot pass for a JSON value of the same spelling.
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(err.Error())
	}
	dst = append(dst, '!')
	dst = append(dst, b...)
	return dst
}
