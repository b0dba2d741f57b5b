package jsonv

import (
	"strconv"
	"strings"
)

// NumberKey returns a form of a JSON number that is the same for every
// spelling of the same value: "1", "1.0", "1e0" and "10e-1" all give
// "1e1" (0.1 × 10¹); "-0" gives "0". It works on the decimal text, so
// integers of any size and decimals compare exactly, never through
// float64. An exponent beyond ±2⁶² leaves the text as written (so such
// numbers are equal only when spelt alike).
func NumberKey(s string) string {
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
