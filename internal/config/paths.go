package config

import (
	"strconv"
)

// childPath appends a key to a path: "a" + "b" -> "a.b"; a key that is not
// a plain word is quoted: `a["b c"]`.
func childPath(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(safeKey(key)) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// secretPath is the key path of an integration secret.
func secretPath(env, slug, name string) string {
	return childPath(childPath(childPath(childPath("environments", env), "secrets"), slug), name)
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, c := range key {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// safeKey shortens a key for a message and hides one shaped like an API
// key (pasted where a key name belongs).
func safeKey(key string) string {
	return keyPattern.ReplaceAllString(shorten(key), redacted)
}

// suggest returns the candidate within edit distance 2 of s, the closest
// first, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
