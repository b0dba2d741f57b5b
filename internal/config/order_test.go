package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestProblemsOfOneLineInPathOrder: two problems on one line print in the
// order of their paths, whichever check found them first: a target's
// invalid name (found by Validate) and an earlier target's unset password
// variable (added by withUnset) on one flow-sequence line print offsite[0]
// before offsite[1], and offsite[2] before offsite[10].
func TestProblemsOfOneLineInPathOrder(t *testing.T) {
	doc := baseConfig + "offsite: [{name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW}'}, {name: 'Bad Name', url: 'file:///srv/usb', password_file: usb.pw}]\n"
	path := writeTree(t, doc, baseFiles())
	for _, onUse := range []bool{false, true} {
		_, err := Load(path, Options{LookupEnv: env(baseEnv()), SecretsOnUse: onUse})
		var e *Error
		if !errors.As(err, &e) || len(e.Problems) != 2 {
			t.Fatalf("SecretsOnUse=%v: Load = %v, want two problems", onUse, err)
		}
		if e.Problems[0].Path != "offsite[0].password_file" || e.Problems[1].Path != "offsite[1].name" {
			t.Errorf("SecretsOnUse=%v: problems out of order:\n%v", onUse, err)
		}
	}

	// Eleven targets on one line, each with an invalid name.
	var targets []string
	for i := range 11 {
		targets = append(targets, fmt.Sprintf("{name: 'T%d', url: 'file:///srv/t%d', password_file: t.pw}", i, i))
	}
	_, err := Parse(strings.NewReader(baseConfig+"offsite: ["+strings.Join(targets, ", ")+"]\n"), "config.yaml", Options{LookupEnv: env(baseEnv())})
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 11 {
		t.Fatalf("Parse = %v, want eleven problems", err)
	}
	for i, p := range e.Problems {
		if want := fmt.Sprintf("offsite[%d].name", i); p.Path != want {
			t.Errorf("problem %d is at %s, want %s:\n%v", i, p.Path, want, err)
		}
	}
}

func TestComparePaths(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"offsite[0].name", "offsite[1].name", -1},
		{"offsite[2].name", "offsite[10].name", -1},
		{"offsite[10]", "offsite[9].url", 1},
		{"offsite[0]", "offsite[0].name", -1},
		{"offsite[0].name", "offsite[0].name", 0},
		{"", "offsite[0]", -1},
		{"offsite[007]", "offsite[7]", 0},
	} {
		if got := comparePaths(tt.a, tt.b); got != tt.want {
			t.Errorf("comparePaths(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := comparePaths(tt.b, tt.a); got != -tt.want {
			t.Errorf("comparePaths(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
