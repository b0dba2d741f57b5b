package snapshot

import (
	"fmt"
	"testing"
)

// BenchmarkBlobRead reads one object by its hash from a database of the
// 100,000 objects of BenchmarkPut, the pack cache empty each time, with
// packs closed at several raw sizes: the index lookup, the pack's read
// and its decompression, what `show` of one object costs.
func BenchmarkBlobRead(b *testing.B) {
	objs := benchItems()
	defer func(t int) { packTarget = t }(packTarget)
	for _, kib := range []int{128, 512, 1024} {
		b.Run(fmt.Sprintf("size=%dKiB", kib), func(b *testing.B) {
			packTarget = kib << 10
			db := benchDB(b)
			w, err := db.Begin("acme", t0)
			if err != nil {
				b.Fatal(err)
			}
			hashes := make([]Hash, len(objs))
			for i, o := range objs {
				if err := w.Put("items", "contracts", fmt.Sprint(i+1), o); err != nil {
					b.Fatal(err)
				}
				hashes[i], _ = ContentHash(o)
			}
			if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err != nil {
				b.Fatal(err)
			}
			fileAll(b, db)
			b.ResetTimer()
			for i := range b.N {
				db.packs = newPackCache()
				if _, err := db.Blob(hashes[(i*7919)%len(hashes)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
