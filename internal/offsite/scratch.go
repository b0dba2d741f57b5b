package offsite

// packScratch is the memory in which restore prepares a pack (decrypts,
// decompresses, parses its header, checks its objects, writes their
// ids), kept from one pack to the next: fresh buffers for each pack
// (its content of some MiB, a header entry and an id per blob) were a
// new run of pages for the heap to fault in and clear every few packs,
// as a collection had dropped what the last ones used. The Restorer
// holds one for each processor, as the token that lets a preparation
// take it (Restorer.cpu), and drops them once every pack is prepared.
type packScratch struct {
	plain  []byte       // the pack's decompressed content
	hdr    []PackedBlob // its header (decodePackInto)
	ids    []byte       // the ids of its blobs, 32 bytes each, in the pack's order
	at     []int        // knownIDs: the data blobs by offset
	offs   []uint32     // knownIDs: their offsets
	last   []int        // knownIDs: the blob that gives each offset's id
	file   []byte       // saveSortedIDs: the ids file, in clear
	sealed []byte       // saveSortedIDs: the ids file, sealed
}

// newScratches returns a channel holding n scratches.
func newScratches(n int) chan *packScratch {
	c := make(chan *packScratch, n)
	for range n {
		c <- &packScratch{}
	}
	return c
}

// idsFor returns room for the ids of n blobs, zeroed.
func (sc *packScratch) idsFor(n int) []byte {
	sc.ids = grow(sc.ids, n*len(ID{}))
	clear(sc.ids)
	return sc.ids
}

// keep takes back the memory pc's content and header used, for the next
// pack, unless the content was of an unusual size (more than
// keepPlain bytes: a pack of a few large objects need not hold that
// much for the rest of the restore).
func (sc *packScratch) keep(pc *packContent) {
	if cap(pc.plain) <= keepPlain {
		sc.plain = pc.plain[:0]
	}
	sc.hdr = pc.hdr[:0]
}

// keepPlain bounds the decompressed content a scratch keeps: four times
// the packs push writes by default (DefaultPackSize, 4 MiB before
// compression; a pack ends past it by at most its last blob).
const keepPlain = 16 << 20

// grow returns b resized to n bytes, reusing its memory when large
// enough; its contents are not kept.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
