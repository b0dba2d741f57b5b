package snapshot

import (
	"bytes"
	"fmt"
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

// TestPendingReaderKeys: a run's pending record reads back every
// collection, key and id as written, its keys made in a shared buffer:
// a handful of allocations for a thousand entries, not one each.
func TestPendingReaderKeys(t *testing.T) {
	var batch []pending
	ids := map[Hash]uint64{}
	for i := range 1000 {
		coll := "items/contracts"
		key := strconv.Itoa(1000 + 7*i)
		if i%4 == 0 {
			coll, key = "types", fmt.Sprintf("type-%04d", i)
		}
		var h Hash
		h[0], h[1], h[2] = byte(i), byte(i>>8), 9
		ids[h] = uint64(i + 1)
		batch = append(batch, pending{coll: []byte(coll), key: sortKey(key), hash: h})
	}
	rec := encodePending(batch, ids)
	want := map[string]uint64{}
	for _, p := range batch {
		want[string(p.coll)+"\x00"+string(p.key)] = ids[p.hash]
	}
	read := func() int {
		r, err := newPendingReader(1, rec)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r.next() {
			if got, ok := want[string(r.coll)+"\x00"+string(r.key)]; !ok || got != r.id {
				t.Fatalf("read %s %q -> %d, want %d (%v)", r.coll, r.key, r.id, got, ok)
			}
			n++
		}
		if r.d.err != nil {
			t.Fatal(r.d.err)
		}
		return n
	}
	if n := read(); n != len(batch) {
		t.Fatalf("read %d entries, want %d", n, len(batch))
	}
	if a := testing.AllocsPerRun(5, func() { read() }); a > 20 {
		t.Errorf("%.0f allocations to read %d entries", a, len(batch))
	}
}
