package kind

import "testing"

func TestMasked(t *testing.T) {
	for v, want := range map[any]bool{
		"****": true, "***": true, "••••••••": true, "****1a2b": true, "1a2b****": true,
		"sk-••••": true, "●●●●●": true, "ab****cd": true,
		"**": false, "": false, "a *** b": false, "****12345": false, "12345****": false,
		"** **": false, "**a**": false, "hello": false, "*": false, "abc*": false,
		"https://x.y/**": false, 42: false, nil: false, true: false,
	} {
		if got := Masked(v); got != want {
			t.Errorf("Masked(%q) = %v, want %v", v, got, want)
		}
	}
}
