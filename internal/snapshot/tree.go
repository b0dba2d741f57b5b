package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Tree shape and encoding.
const (
	// treeFormat is the leading byte of every chunk (leaf) encoding; index
	// nodes and roots lead with indexFormat. Chunks written before numeric
	// keys were coded as differences lead with oldTreeFormat, and are
	// still read.
	treeFormat    byte = 3
	oldTreeFormat byte = 1
	// boundaryMask: a chunk ends after an entry whose key hash has these
	// bits zero, about one entry in 64 (16 up to format 5; see # Trees).
	boundaryMask = 63
	// maxChunkEntries is the hard cap of entries in one chunk (64 up to
	// format 5: a format-5 build would refuse a level-1 index line of
	// more).
	maxChunkEntries = 256
	// minChunkEntry and minRootEntry are the fewest bytes an entry takes
	// in a chunk and in an index node or root; they bound the counts
	// decoders accept.
	minChunkEntry = 2
	minRootEntry  = 3
	// maxNumberDigits is the most digits of a numeric key coded as a
	// difference from the previous key: 10^18 < 2^60, so no difference
	// overflows.
	maxNumberDigits = 18
	maxNumber       = 999_999_999_999_999_999
)

// entry is one object of a collection: its sort key and blob id.
type entry struct {
	key []byte
	id  uint64
}

// chunkRef is an index node's (or root's) line for one child: a chunk, or
// an index node one level down.
type chunkRef struct {
	first []byte // sort key of the child's first entry
	id    uint64
	count int // entries under the child
}

// boundary reports whether a chunk ends after the entry with sort key sk. It
// looks at the key alone, so a changed value never moves a boundary.
func boundary(sk []byte) bool {
	h := sha256.Sum256(sk)
	return binary.LittleEndian.Uint64(h[:8])&boundaryMask == 0
}

// encodeChunk encodes entries (sorted, non-empty): the format byte, the entry
// count, then for each entry the length of the prefix shared with the
// previous key and the rest of the key (uvarints), and the blob id (see
// appendID).
func encodeChunk(es []entry) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(es)*8)
	b = append(b, treeFormat)
	b = binary.AppendUvarint(b, uint64(len(es)))
	var prev []byte
	var prevID uint64
	for _, e := range es {
		b = appendKey(b, prev, e.key)
		b = appendID(b, prevID, e.id)
		prev, prevID = e.key, e.id
	}
	return b
}

// appendID appends id as its difference from the previous id of the node
// (0 before the first), a zigzag varint: ids of neighbouring objects were
// mostly given in a row, so most take one byte. The difference wraps
// around 2^64, so any two ids have one.
func appendID(b []byte, prev, id uint64) []byte {
	return binary.AppendVarint(b, int64(id-prev))
}

// appendKey appends key after prev (nil before the first key), which sorts
// before it. When both are numeric keys of at most maxNumberDigits digits,
// key is their difference d as the uvarint (d-1)<<1 | 1: most keys of a
// collection of numbered objects take one byte. Otherwise it is the
// length n of the prefix shared with prev as the uvarint n<<1, then the
// length of the rest (uvarint) and the rest.
func appendKey(b, prev, key []byte) []byte {
	if p, ok := keyNumber(prev); ok {
		if k, ok := keyNumber(key); ok && k > p {
			return binary.AppendUvarint(b, (k-p-1)<<1|1)
		}
	}
	n := 0
	for n < len(prev) && n < len(key) && prev[n] == key[n] {
		n++
	}
	b = binary.AppendUvarint(b, uint64(n)<<1)
	b = binary.AppendUvarint(b, uint64(len(key)-n))
	return append(b, key[n:]...)
}

// keyNumber returns the number of a numeric sort key of at most
// maxNumberDigits digits.
func keyNumber(sk []byte) (uint64, bool) {
	if len(sk) < 3 || sk[0] != tagNumber || int(sk[1]) != len(sk)-2 || len(sk)-2 > maxNumberDigits ||
		(sk[2] == '0' && len(sk) > 3) {
		return 0, false
	}
	var n uint64
	for _, c := range sk[2:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// numberKey returns the sort key of the number n (sortKey of its
// decimal text), in one allocation.
func numberKey(n uint64) []byte {
	b := strconv.AppendUint(make([]byte, 2, 2+20), n, 10)
	b[0], b[1] = tagNumber, byte(len(b)-2)
	return b
}

// decoder reads a tree encoding; every read is bounds-checked, so damaged
// data is an error, never a panic. Keys are copied out of the input.
type decoder struct {
	b      []byte
	prev   []byte // the previous key
	prevID uint64 // the previous id
	old    bool   // keys in the form of appendOldKey
	// slab, when set, makes the keys in a shared buffer (keys; a new one
	// when full, never reused) instead of one allocation each: a
	// commit's pendingReaders decode one key per object of the run.
	slab bool
	keys []byte
	err  error
}

func (d *decoder) uvarint(max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max {
		d.err = fmt.Errorf("%w: bad number in tree node", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) key() []byte {
	var shared uint64
	if d.old {
		shared = d.uvarint(uint64(len(d.prev)))
	} else {
		head := d.uvarint(math.MaxUint64)
		if d.err == nil && head&1 == 1 {
			return d.numberKey(head>>1 + 1)
		}
		if shared = head >> 1; d.err == nil && shared > uint64(len(d.prev)) {
			d.err = fmt.Errorf("%w: bad number in tree node", ErrCorrupt)
		}
	}
	rest := d.uvarint(maxNameLen + maxKeyLen)
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < rest {
		d.err = fmt.Errorf("%w: truncated key in tree node", ErrCorrupt)
		return nil
	}
	k := d.newKey(int(shared + rest))
	k = append(k, d.prev[:shared]...)
	k = append(k, d.b[:rest]...)
	d.b = d.b[rest:]
	if d.prev != nil && compareKeys(d.prev, k) >= 0 {
		d.err = fmt.Errorf("%w: keys out of order in tree node", ErrCorrupt)
		return nil
	}
	d.prev = k
	return k
}

// numberKey returns the numeric key diff after the previous one.
func (d *decoder) numberKey(diff uint64) []byte {
	p, ok := keyNumber(d.prev)
	if !ok || diff > maxNumber-p {
		d.err = fmt.Errorf("%w: bad numeric key difference in tree node", ErrCorrupt)
		return nil
	}
	var k []byte
	if d.slab {
		var digits [20]byte
		text := strconv.AppendUint(digits[:0], p+diff, 10)
		k = append(d.newKey(2+len(text)), tagNumber, byte(len(text)))
		k = append(k, text...)
	} else {
		k = numberKey(p + diff)
	}
	d.prev = k
	return k
}

// newKey returns an empty slice with room for a key of n bytes, its own
// part of the slab when d.slab is set.
func (d *decoder) newKey(n int) []byte {
	if !d.slab {
		return make([]byte, 0, n)
	}
	if cap(d.keys)-len(d.keys) < n {
		d.keys = make([]byte, 0, max(4096, n))
	}
	at := len(d.keys)
	d.keys = d.keys[:at+n]
	return d.keys[at : at : at+n]
}

// id reads an id written by appendID: never zero.
func (d *decoder) id() uint64 {
	if d.err != nil {
		return 0
	}
	delta, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad id in tree node", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	id := d.prevID + uint64(delta)
	if id == 0 {
		d.err = fmt.Errorf("%w: id 0 in tree node", ErrCorrupt)
		return 0
	}
	d.prevID = id
	return id
}

// header reads the format byte, format or old (whose keys are in the form
// of appendOldKey), and the item count.
func (d *decoder) header(what string, format, old byte, minEntry int) int {
	switch {
	case len(d.b) == 0:
	case d.b[0] == format:
	case d.b[0] == old:
		d.old = true
	default:
		d.b = nil
	}
	if len(d.b) == 0 {
		d.err = fmt.Errorf("%w: %s: unknown format", ErrCorrupt, what)
		return 0
	}
	d.b = d.b[1:]
	// Every item takes at least minEntry bytes, which bounds the count.
	return int(d.uvarint(uint64(len(d.b) / minEntry)))
}

func (d *decoder) end(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %s: %d bytes after the end", ErrCorrupt, what, len(d.b))
	}
	return d.err
}

func decodeChunk(b []byte) ([]entry, error) {
	return (&decoder{b: b}).chunk(nil)
}

// chunkDecoder decodes chunks into the same buffers again and again (the
// entries, and their keys in one slab, where decodeChunk makes a slice
// for every key): for a caller that drops each chunk's entries before it
// decodes the next. patchOver decodes every chunk that a change falls in,
// which at 1% churn is nearly every chunk of a collection, a commit of
// restore-db's; one allocation a key was most of that decoding's time.
type chunkDecoder struct {
	es   []entry
	keys []byte
}

// decode returns the entries of the chunk b, valid until the next call.
func (cd *chunkDecoder) decode(b []byte) ([]entry, error) {
	d := &decoder{b: b, slab: true, keys: cd.keys[:0]}
	es, err := d.chunk(cd.es[:0])
	if err != nil {
		return nil, err
	}
	cd.es = es
	if n := keyBytes(es); n > cap(cd.keys) {
		cd.keys = make([]byte, 0, 2*n) // the next chunk's keys in one slab
	} else {
		cd.keys = d.keys // the slab the last keys went to
	}
	return es, nil
}

// keyBytes returns the bytes of the keys of es.
func keyBytes(es []entry) int {
	n := 0
	for _, e := range es {
		n += len(e.key)
	}
	return n
}

// chunk decodes a chunk's header and entries, appended to es.
func (d *decoder) chunk(es []entry) ([]entry, error) {
	n := d.header("chunk", treeFormat, oldTreeFormat, minChunkEntry)
	if d.err == nil && n == 0 {
		d.err = fmt.Errorf("%w: empty chunk", ErrCorrupt)
	}
	es = slices.Grow(es, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.key()
		es = append(es, entry{key: k, id: d.id()})
	}
	if err := d.end("chunk"); err != nil {
		return nil, err
	}
	return es, nil
}
