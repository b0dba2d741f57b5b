package offsite

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"testing"
)

// BenchmarkIndexMemory measures the heap an index of 1,000,000 blobs in
// 250 packs takes (bytes/blob):
//
//	go test ./internal/offsite -run '^$' -bench IndexMemory -benchtime 1x
func BenchmarkIndexMemory(b *testing.B) {
	const blobs, perPack = 1_000_000, 4000
	for range b.N {
		var packs []IndexPack
		for i := 0; i < blobs; i += perPack {
			p := IndexPack{Pack: sha256.Sum256(binary.AppendUvarint(nil, uint64(i)))}
			for j := i; j < i+perPack; j++ {
				p.Blobs = append(p.Blobs, PackedBlob{Type: DataBlob, Ref: ID(sha256.Sum256(binary.AppendUvarint([]byte("b"), uint64(j)))).Ref(), Offset: uint32(j), Length: 300})
			}
			packs = append(packs, p)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x := newIndex()
		x.add(ID{1}, packs)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/blobs, "bytes/blob")
		runtime.KeepAlive(x)
		runtime.KeepAlive(packs)
	}
}
