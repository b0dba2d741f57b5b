package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// defaultMaxValue is the longest value the text form shows, in characters,
// when TextOptions.MaxValue is zero.
const defaultMaxValue = 60

// absentText stands for a member absent on one side.
const absentText = "(none)"

// shortValue renders a decoded value for people in about max characters:
// strings quoted and cut with "…", numbers as stored, objects and lists as
// compact JSON when short enough, else summarised with their first
// members and a count (`{action: "read", entity: "contracts", … 4 keys}`,
// `["a", "b", … 12 items]`), nested objects and lists shown as {…} and […].
func shortValue(v any, max int) string {
	if max < minValue {
		max = minValue
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quoteShort(v, max)
	case json.Number:
		return cut(string(v), max)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		if s, ok := compact(v, max); ok {
			return s
		}
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + nestedValue(v[k], max/3)
		}
		return summarise("{", parts, plural(len(keys), "key"), "}", max)
	case []any:
		if s, ok := compact(v, max); ok {
			return s
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = nestedValue(e, max/3)
		}
		return summarise("[", parts, plural(len(v), "item"), "]", max)
	}
	return fmt.Sprint(v)
}

// minValue is the least room a value gets, whatever TextOptions says.
const minValue = 16

// nestedValue renders a member of a summarised value: scalars shortened,
// objects and lists as {…} and […] unless empty.
func nestedValue(v any, max int) string {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return "{}"
		}
		return "{…}"
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		return "[…]"
	}
	return shortValue(v, max)
}

// summarise writes as many parts as fit in max characters, then "…" and
// the count.
func summarise(open string, parts []string, count, close string, max int) string {
	tail := ", … " + count + close
	b := open
	for i, p := range parts {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		if utf8.RuneCountInString(b+sep+p+tail) > max {
			if i == 0 {
				return open + "… " + count + close
			}
			return b + tail
		}
		b += sep + p
	}
	return b + close
}

// quoteShort quotes s, cut to max characters with "…".
func quoteShort(s string, max int) string {
	return strconv.Quote(cut(s, max))
}

// cut shortens s to at most max characters, the last being "…".
func cut(s string, max int) string {
	if max < 2 {
		max = 2
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// compact returns v as compact JSON with sorted members, if it fits in max
// characters.
func compact(v any, max int) (string, bool) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	s := strings.TrimSuffix(b.String(), "\n")
	return s, utf8.RuneCountInString(s) <= max
}

// plural writes a count and a noun: "1 key", "3 keys".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
