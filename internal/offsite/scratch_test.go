package offsite

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// scratchPack returns a repository with a throwaway key and a sealed
// pack of n data blobs of about 400 bytes (some 4 MiB at n 10,000).
func scratchPack(t *testing.T, n int) (*Repo, ID, []byte) {
	t.Helper()
	var key [32]byte
	rand.Read(key[:])
	k, err := newMasterKey(key[:])
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{key: k}
	var p packBuilder
	for i := range n {
		obj := []byte(fmt.Sprintf(`{"id":%d,"name":"item %d","body":%q}`, i, i, bytes.Repeat([]byte{'a' + byte(i%26)}, 360)))
		p.add(DataBlob, hashOf(obj).Ref(), obj)
	}
	sealed, err := k.seal(kindPack, compress(p.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return r, hashOf(sealed), sealed
}

// TestOpenPackReusesScratch: restore prepares every pack in a scratch
// kept from pack to pack, so that a pack of some MiB allocates next to
// nothing once the scratch has grown: the decompressed content, the
// header and the ids go where the last pack's went (a new buffer a pack,
// dropped by the next collection, was that many pages to fault in and
// clear again), the sealed bytes are decrypted where they are, and
// checking a blob's place allocates nothing (taking b.Ref[:6] for an
// error moved every blob to the heap). Without the scratch each pack
// allocated its content and more: some 5 MiB here.
func TestOpenPackReusesScratch(t *testing.T) {
	r, id, sealed := scratchPack(t, 10_000)
	// The shared zstd decoder holds decoderConcurrency block decoders,
	// taken in turn, each of which allocates its own tables once: the
	// packs measured come after as many.
	warm := decoderConcurrency
	copies := make([][]byte, warm+4)
	for i := range copies {
		copies[i] = bytes.Clone(sealed)
	}
	sc := &packScratch{}
	open := func(b []byte) *packContent {
		pc, err := r.openPack(id, b, sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range pc.hdr {
			if _, _, err := pc.blob(h, nil); err != nil {
				t.Fatal(err)
			}
		}
		ids := sc.idsFor(len(pc.hdr))
		offs, _ := knownIDs(pc.hdr, ids, sc)
		if len(offs) != len(pc.hdr) {
			t.Fatalf("knownIDs: %d offsets for %d blobs", len(offs), len(pc.hdr))
		}
		sc.keep(pc)
		return pc
	}
	first := open(copies[0])
	if len(first.plain) < 3<<20 || len(first.hdr) != 10_000 {
		t.Fatalf("pack of %d bytes, %d blobs", len(first.plain), len(first.hdr))
	}
	for _, b := range copies[1 : 1+warm] {
		open(b)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, b := range copies[1+warm:] {
		pc := open(b)
		if &pc.plain[0] != &first.plain[0] || &pc.hdr[0] != &first.hdr[0] {
			t.Fatal("the content or header of the next pack is not in the scratch's memory")
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*64<<10 {
		t.Errorf("3 packs of %d bytes with a warm scratch allocated %d bytes, want at most 64 KiB a pack", len(first.plain), got)
	}
	if got := after.Mallocs - before.Mallocs; got > 3*100 {
		t.Errorf("3 packs of %d blobs with a warm scratch made %d allocations, want at most 100 a pack", len(first.hdr), got)
	}
}

// TestOpenInPlace: a pack decrypted in its own memory gives what open
// gives, and one altered in a byte is refused as before.
func TestOpenInPlace(t *testing.T) {
	r, id, sealed := scratchPack(t, 100)
	want, err := r.key.open(kindPack, sealed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.key.openInPlace(kindPack, bytes.Clone(sealed))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("openInPlace = %d bytes, %v; open gave %d", len(got), err, len(want))
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)/2] ^= 1
	if _, err := r.openPack(id, bad, &packScratch{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("openPack of an altered pack = %v, want ErrCorrupt", err)
	}
	if _, err := r.key.openInPlace(kindIndex, bytes.Clone(sealed)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("openInPlace as another kind = %v, want ErrCorrupt", err)
	}
	if _, err := r.key.openInPlace(kindPack, sealed[:5]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("openInPlace of 5 bytes = %v, want ErrCorrupt", err)
	}
}

// TestCheckRefAllocatesNothing: restore checks each object's id against
// its name; the check allocates only when it fails (it took 16 bytes of
// heap an object, its error's ref[:6] moving the ref to the heap on
// every call: 18 MB at a million objects).
func TestCheckRefAllocatesNothing(t *testing.T) {
	id := hashOf([]byte(`{"id":1}`))
	ref := id.Ref()
	if n := testing.AllocsPerRun(100, func() {
		if err := checkRef(id, ref); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("checkRef allocated %v times a call, want 0", n)
	}
	other := hashOf([]byte(`{"id":2}`))
	if err := checkRef(other, ref); !errors.Is(err, ErrCorrupt) {
		t.Errorf("checkRef of another object = %v, want ErrCorrupt", err)
	}
}
