package kind

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masked reports whether v is a string that a server masked instead of
// returning a secret: one run of at least three mask characters ('*',
// '•', '●' or '·'), no space, with before it either a visible prefix of up
// to 12 characters ending in '_', '-' or '.' (a key's kind: "sk_live_",
// "xoxb-", "ghp_") or up to 4 other visible characters, and after it up to
// 4 visible characters, optionally behind one '-', '_' or '.' (the last
// digits a mask shows: "****-1234"). So "****", "••••••••", "****1a2b",
// "sk-••••", "sk_live_••••1234", "xoxb-••••••••", "ghp_****abcd",
// "abcd****wxyz" and "****-1234" are masks; "****12345", "12345****",
// "https://x.y/****", "a *** b" and plain words are not. The contract says
// secrets are never returned (section 4), and the kind table lists those
// of the documented providers; a server may still answer another
// provider's secret field with a mask, and a mask sent back would
// overwrite the secret with the mask. Restore and replicate treat such a
// value as a secret the operator must supply (see integrationView).
func Masked(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 3 {
		return false
	}
	var before, after []rune
	run := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r):
			return false // a mask is one word of visible characters
		case isMaskRune(r):
			if len(after) > 0 {
				return false // a second run of masks: not one mask
			}
			run++
		case run == 0:
			before = append(before, r)
		default:
			after = append(after, r)
		}
	}
	if run < 3 {
		return false
	}
	if len(after) > 0 && isMaskSeparator(after[0]) {
		after = after[1:]
	}
	if len(after) > 4 {
		return false
	}
	return len(before) <= 4 || (len(before) <= 12 && isMaskSeparator(before[len(before)-1]))
}

func isMaskRune(r rune) bool {
	switch r {
	case '*', '•', '●', '·':
		return true
	}
	return false
}

func isMaskSeparator(r rune) bool { return r == '_' || r == '-' || r == '.' }

// MaskedKeys returns the paths of the values in data that are Masked,
// sorted: a top-level key as it is ("client_secret"), a value inside a
// nested object or list as its keys and list indices joined with dots
// ("credentials.client_secret", "hosts.0.password"). A dot or backslash
// inside a key is escaped with a backslash (EscapeKey), so a path names
// one place only: the top-level key "smtp.password" is "smtp\.password",
// the password of the object under "hosts.example.com" is
// "hosts\.example\.com.password". SetPath writes a value at such a path,
// DropMasked removes the masks.
func MaskedKeys(data map[string]any) []string {
	var out []string
	walkMasked(data, "", func(path string) { out = append(out, path) })
	slices.Sort(out)
	return out
}

// EscapeKey escapes a key as one segment of a path: a backslash before
// each '.' and backslash.
func EscapeKey(k string) string {
	if !strings.ContainsAny(k, `.\`) {
		return k
	}
	var b strings.Builder
	for _, r := range k {
		if r == '.' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SplitPath splits a path as MaskedKeys gives it into its keys and list
// indices, unescaped: "hosts\.example\.com.password" is
// ["hosts.example.com", "password"]. A backslash escapes the character
// after it; a trailing one stands for itself.
func SplitPath(path string) []string {
	var segs []string
	var b strings.Builder
	esc := false
	for _, r := range path {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == '.':
			segs = append(segs, b.String())
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	if esc {
		b.WriteByte('\\')
	}
	return append(segs, b.String())
}

func walkMasked(v any, prefix string, fn func(string)) {
	join := func(k string) string {
		k = EscapeKey(k)
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if Masked(e) {
				fn(join(k))
			} else {
				walkMasked(e, join(k), fn)
			}
		}
	case []any:
		for i, e := range v {
			if Masked(e) {
				fn(join(strconv.Itoa(i)))
			} else {
				walkMasked(e, join(strconv.Itoa(i)), fn)
			}
		}
	}
}

// DropMasked removes the Masked values from v, in place, at any depth: a
// member of an object is deleted, an element of a list set to nil (so the
// paths of MaskedKeys still name the elements after it).
func DropMasked(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if Masked(e) {
				delete(v, k)
			} else {
				DropMasked(e)
			}
		}
	case []any:
		for i, e := range v {
			if Masked(e) {
				v[i] = nil
			} else {
				DropMasked(e)
			}
		}
	}
}

// SetPath stores value at path in data, a path as MaskedKeys gives it
// (SplitPath): the place a masked value was. Every object and list on
// the way must be there already: only the last key of an object may be
// missing (DropMasked removed it); a missing or empty object on the way,
// a path through anything else, or an index past a list's end stores
// nothing and reports false, so a secret never lands where the masked
// value was not.
func SetPath(data map[string]any, path string, value any) bool {
	segs := SplitPath(path)
	var cur any = data
	for n, seg := range segs {
		last := n == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[seg] = value
				return true
			}
			next, ok := c[seg]
			if !ok || next == nil {
				return false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			if last {
				c[i] = value
				return true
			}
			if c[i] == nil {
				return false
			}
			cur = c[i]
		default:
			return false
		}
	}
	return false
}

// DeletePath removes the value at path (as SetPath takes it) from data:
// an object's member is deleted, a list element set to nil. A path to
// nothing changes nothing.
func DeletePath(data map[string]any, path string) {
	segs := SplitPath(path)
	var cur any = data
	for n, seg := range segs {
		last := n == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				delete(c, seg)
				return
			}
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return
			}
			if last {
				c[i] = nil
				return
			}
			cur = c[i]
		default:
			return
		}
	}
}
