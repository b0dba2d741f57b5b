package api

import "testing"

func TestIDSet(t *testing.T) {
	s := idSet{num: map[uint64]struct{}{}, text: map[string]struct{}{}}
	for _, c := range []struct {
		id  string
		new bool
	}{{"7", true}, {"7", false}, {"007", true}, {"007", false}, {"ws-1", true}, {"ws-1", false},
		{"18446744073709551615", true}, {"18446744073709551616", true}, {"raw:{}", true}, {"", true}, {"", false}} {
		if got := s.add(c.id); got != c.new {
			t.Errorf("add(%q) = %v, want %v", c.id, got, c.new)
		}
	}
	if len(s.num) != 2 {
		t.Errorf("%d ids kept as numbers, want 2", len(s.num))
	}
}
