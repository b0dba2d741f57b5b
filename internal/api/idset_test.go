package api

import "testing"

func TestIDSet(t *testing.T) {
	s := newIDSet()
	for _, c := range []struct {
		id  string
		new bool
	}{{"7", true}, {"7", false}, {"007", true}, {"007", false}, {"ws-1", true}, {"ws-1", false},
		{"18446744073709551615", true}, {"18446744073709551616", true}, {"raw:{}", true}, {"", true}, {"", false},
		{"0", true}, {"0", false}, {"00", true}, {"+7", true}, {"+7", false}, {"-7", true}} {
		if got := s.add(c.id); got != c.new {
			t.Errorf("add(%q) = %v, want %v", c.id, got, c.new)
		}
	}
	if s.num.Len() != 3 {
		t.Errorf("%d ids kept as numbers, want 3 (7, 0 and the largest uint64)", s.num.Len())
	}
}
