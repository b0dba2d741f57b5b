package config

import (
	"cmp"
	"slices"
)

// sortProblems orders problems by line, then by key path, so that two
// problems on one line (a flow sequence, an alias) print in the order of
// their paths whatever order they were found in: offsite[0] before
// offsite[1], and offsite[2] before offsite[10] (an index compares as a
// number). Problems of one line and path keep their order, and so do
// those of no known line (a config built in code): the order the checks
// found them in, which follows the document's keys.
func sortProblems(list []Problem) {
	slices.SortStableFunc(list, func(a, b Problem) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 || a.Line == 0 {
			return c
		}
		return comparePaths(a.Path, b.Path)
	})
}

// comparePaths compares two key paths, runs of digits as numbers.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		na, ra := leadingRun(a)
		nb, rb := leadingRun(b)
		if isDigit(na[0]) && isDigit(nb[0]) {
			// Numbers: the shorter (leading zeros aside) is smaller.
			ta, tb := trimZeros(na), trimZeros(nb)
			if c := cmp.Compare(len(ta), len(tb)); c != 0 {
				return c
			}
			if c := cmp.Compare(ta, tb); c != 0 {
				return c
			}
		} else if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return cmp.Compare(len(a), len(b))
}

// leadingRun splits s after its first run of digits, or of non-digits.
func leadingRun(s string) (run, rest string) {
	digits := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
