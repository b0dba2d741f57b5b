package snapshot

import "testing"

func BenchmarkWalkFormat5(b *testing.B) {
	db := openTest(b)
	s := snapshotOf(b, db, "acme", 20000, same)
	s2 := snapshotOf(b, db, "acme", 20000, func(id int) int {
		if id%50 == 0 {
			return 1
		}
		return 0
	})
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			if err := db.Walk(s, "items/contracts", func(string, Hash) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			if err := db.DiffCollection(s, s2, "items/contracts", func(string, Hash, Hash) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkWalkBlobFormat5(b *testing.B) {
	db := openTest(b)
	s := snapshotOf(b, db, "acme", 20000, same)
	for b.Loop() {
		if err := db.Walk(s, "items/contracts", func(_ string, h Hash) error { _, err := db.Blob(h); return err }); err != nil {
			b.Fatal(err)
		}
	}
}
