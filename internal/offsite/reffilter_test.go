package offsite

import (
	"crypto/sha256"
	"testing"
)

// TestRefFilter: the filter of the index's refs holds every ref of the
// map it was made from, short names and long refs alike, and lets few
// others through (at most 1 in 70 by its sizing; 1 in 20 fails).
func TestRefFilter(t *testing.T) {
	held := map[Ref]slot{}
	for i := range 20_000 {
		id := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'h'})
		if i%2 == 0 {
			held[shortName(id)] = slot{}
		} else {
			held[ID(id).Ref()] = slot{}
		}
	}
	f := newRefFilter(held)
	for r := range held {
		if !f.mayHold(r) {
			t.Fatalf("the filter lacks %x, which the map holds", r)
		}
	}
	through := 0
	for i := range 20_000 {
		id := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'o'})
		if f.mayHold(shortName(id)) {
			through++
		}
	}
	if through > 1000 {
		t.Errorf("%d of 20,000 refs the map lacks passed the filter", through)
	}
	t.Logf("%d of 20,000 refs the map lacks passed the filter", through)
}
