package kind

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Masked reports whether v is a string that a server masked instead of
// returning a secret: a run of at least three mask characters ('*', '•',
// '●' or '·'), with at most four other visible characters before or after
// it and no space ("****", "••••••••", "****1a2b", "sk-••••"). The contract says secrets
// are never returned (section 4), and the kind table lists those of the
// documented providers; a server may still answer another provider's
// secret field with a mask, and a mask sent back would overwrite the
// secret with the mask. Restore and replicate treat such a value as a
// secret the operator must supply (see integrationView).
func Masked(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 3 {
		return false
	}
	before, run, after := 0, 0, 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r):
			return false // a mask is one word of visible characters
		case isMaskRune(r):
			if after > 0 {
				return false // a second run of masks: not one mask
			}
			run++
		case run == 0:
			before++
		default:
			after++
		}
	}
	return run >= 3 && before+after <= 4
}

func isMaskRune(r rune) bool {
	switch r {
	case '*', '•', '●', '·':
		return true
	}
	return false
}

// MaskedKeys returns the keys of data whose values are Masked, sorted.
func MaskedKeys(data map[string]any) []string {
	var out []string
	for k, v := range data {
		if Masked(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
