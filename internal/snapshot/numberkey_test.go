package snapshot

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

// TestNumberKey: the sort key a tree decoder rebuilds for a numeric key is
// sortKey of its text, made in one allocation (a commit decodes one per
// object of a run's pending entries), as is appendSortKey's.
func TestNumberKey(t *testing.T) {
	for _, n := range []uint64{0, 1, 9, 10, 99, 100, 123456, 1 << 40, math.MaxUint64} {
		want := sortKey(strconv.FormatUint(n, 10))
		if got := numberKey(n); !bytes.Equal(got, want) {
			t.Errorf("numberKey(%d) = %q, want %q", n, got, want)
		}
	}
	for _, k := range []string{"0", "7", "01", "1301", "contracts", "", "a/b", "18446744073709551615"} {
		if got := appendSortKey([]byte("x"), k); !bytes.Equal(got[1:], sortKey(k)) || got[0] != 'x' {
			t.Errorf("appendSortKey(%q) = %q, want x then %q", k, got, sortKey(k))
		}
	}
	if a := testing.AllocsPerRun(100, func() { numberKey(1234567) }); a != 1 {
		t.Errorf("numberKey: %.1f allocations, want 1", a)
	}
}
