package snapshot

import "testing"

// TestWalkHashCache: a second walk takes the content hashes from the
// DB's hash cache, keyed by the blob's id and its pack's version: an
// entry for another version of the pack (rewritten since) is never used.
func TestWalkHashCache(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 30, same)
	walk := func() map[string]Hash {
		got := map[string]Hash{}
		if err := db.Walk(s, "items/contracts", func(k string, h Hash) error { got[k] = h; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := walk()
	if n := len(db.contentHashes.m); n != 30 {
		t.Fatalf("%d hashes cached after a walk, want 30", n)
	}
	// Every entry moved to another version of its pack, with a wrong hash.
	for k := range db.contentHashes.m {
		stale := k
		stale.pk.sum++
		delete(db.contentHashes.m, k)
		db.contentHashes.m[stale] = UnknownHash
	}
	second := walk()
	for k, h := range first {
		if want, _ := ContentHash(item(atoiT(t, k), 0)); h != want || second[k] != want {
			t.Errorf("item %s: %s then %s, want %s", k, h.Short(), second[k].Short(), want.Short())
		}
	}
}

func atoiT(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
