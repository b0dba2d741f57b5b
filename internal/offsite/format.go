package offsite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// BlobType says what a blob in a pack is.
type BlobType byte

// Blob types.
const (
	DataBlob BlobType = 1 // one object's raw JSON, named by the local store's content hash
	TreeBlob BlobType = 2 // a tree chunk, named by the SHA-256 of its encoding
)

// Limits on what decoding accepts from a target.
const (
	maxPackPlain = 256 << 20 // a pack's decompressed size
	maxBlob      = 64 << 20  // one blob
	maxIndex     = 1 << 30   // an index file's decompressed size
	maxRecord    = 64 << 20  // a snapshot record's decompressed size
)

// Pack and index formats. Format 1 (the first builds) put each blob's
// 32-byte id in the pack's header and its index entry; format 2 writes
// packs whose header is each blob's type and length (a blob's id is the
// hash of its bytes: verify and prune compute it), and index entries of
// type, ref, the gap since the previous blob and length: 23 bytes a new
// object instead of 71. Both are read; only format 2 is written.
//
// Format 3 (index files ESIX 3; packs and chunks as in format 2) lets an
// index entry of a data blob take its ref from the tree chunk that names
// it: a table of chunk refs per pack, and per blob either an explicit ref
// or (chunk, entry), so that a new object's ref is stored once, in its
// tree entry (see doc.go, # Formats).
var (
	packMagicV1  = []byte("ESPK\x01")
	packMagic    = []byte("ESPK\x02")
	indexMagicV1 = []byte("ESIX\x01")
	indexMagicV2 = []byte("ESIX\x02")
	indexMagicV3 = []byte("ESIX\x03")
	indexMagic   = []byte("ESIX\x04")
)

// Format 4 (index files ESIX 4, leaves and deltas of chunk formats 4 and
// 5; packs and nodes as before) names a data blob by the first nameLen
// bytes of its id (its short name) instead of 16, or by its 16-byte ref
// (its long name) when the target holds another blob under its short
// name (see doc.go, # Formats). Tree chunks keep their 16-byte refs.
//
// In memory a name is a Ref: a short name is its nameLen bytes followed
// by zeros (shortName), a long one is the id's Ref, and what a format-1
// to -3 tree or index names a data blob by is a long name. Encoders write
// a data blob's Ref in the short form when its bytes past nameLen are
// zero, and decoders give it back as the same Ref, so the two forms never
// need telling apart in memory: every reader checks a blob's bytes
// against its name (ID.named), and push trusts only a long name without
// reading the blob (pusher.nameFor).

// nameLen is how many bytes of a data blob's id its short name has (at
// most 8). A variable so that tests can provoke collisions.
var nameLen = 8

// maxNameLen bounds nameLen, and the name length a decoder accepts.
const maxNameLen = 8

// shortName returns the short name of the blob whose id is id.
func shortName(id ID) (r Ref) {
	copy(r[:nameLen], id[:])
	return r
}

// isShort reports whether r can be written as a name of n bytes.
func (r Ref) isShort(n int) bool {
	for _, c := range r[n:] {
		if c != 0 {
			return false
		}
	}
	return true
}

// long reports whether r is a long name (or a tree chunk's ref): one that
// push trusts without reading the blob, as format 3 trusted every ref.
func (r Ref) long() bool { return !r.isShort(maxNameLen) }

// named reports whether a data blob whose bytes give id may be named
// ref: its long name, or a short name of any length up to maxNameLen.
func (id ID) named(ref Ref) bool {
	if id.Ref() == ref {
		return true
	}
	if ref.long() {
		return false
	}
	for n := 1; n <= maxNameLen; n++ {
		if ref.isShort(n) && bytes.Equal(ref[:n], id[:n]) {
			return true
		}
	}
	return false
}

// names lists what the target may name the blob of id by: its long name,
// then its short names, longest first.
func (id ID) names() []Ref {
	out := []Ref{id.Ref()}
	for n := maxNameLen; n >= 1; n-- {
		var r Ref
		copy(r[:n], id[:])
		out = append(out, r)
	}
	return out
}

var (
	zenc     *zstd.Encoder
	zstdOnce sync.Once
)

func compress(b []byte) []byte {
	zstdOnce.Do(func() {
		zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	})
	return zenc.EncodeAll(b, make([]byte, 0, len(b)/3))
}

// decompress reads a zstd frame, refusing more than limit bytes of
// content (a small frame can claim gigabytes). One decoder per limit
// serves every call (DecodeAll is safe for concurrent use, up to
// decoderConcurrency at once), and sizes its output from the frame's
// content size: a new streaming decoder per call, growing its output
// with io.ReadAll, spent a third of restore-db's decompression time
// allocating and clearing memory.
func decompress(b []byte, limit int) ([]byte, error) {
	return decompressInto(nil, b, limit)
}

// decompressInto is decompress writing into dst's memory (from dst[:0])
// when it is large enough.
func decompressInto(dst, b []byte, limit int) ([]byte, error) {
	d, err := decoderFor(limit)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	out, err := d.DecodeAll(b, dst[:0])
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(out) > limit {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrCorrupt, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	return out, nil
}

// decoderConcurrency is how many decompressions run at once.
const decoderConcurrency = 8

var (
	decodersMu sync.Mutex
	decoders   = map[int]*zstd.Decoder{}
)

func decoderFor(limit int) (*zstd.Decoder, error) {
	decodersMu.Lock()
	defer decodersMu.Unlock()
	if d, ok := decoders[limit]; ok {
		return d, nil
	}
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(decoderConcurrency), zstd.WithDecoderMaxMemory(uint64(limit)))
	if err != nil {
		return nil, err
	}
	decoders[limit] = d
	return d, nil
}

// PackedBlob is one blob of a pack, as the index lists it.
type PackedBlob struct {
	Type   BlobType
	Ref    Ref    // the ref of the blob's id
	Offset uint32 // in the pack's decompressed content
	Length uint32
}

// packBuilder lays blobs out: magic, then per blob its type, length and
// bytes; blobs lists where each blob is.
type packBuilder struct {
	buf   bytes.Buffer
	blobs []PackedBlob
	ids   []ID // each blob's full id, when known
}

func (p *packBuilder) add(t BlobType, ref Ref, data []byte) { p.addID(t, ref, ID{}, data) }

func (p *packBuilder) addID(t BlobType, ref Ref, id ID, data []byte) {
	p.ids = append(p.ids, id)
	if p.buf.Len() == 0 {
		p.buf.Write(packMagic)
	}
	p.buf.WriteByte(byte(t))
	p.buf.Write(binary.AppendUvarint(nil, uint64(len(data))))
	p.blobs = append(p.blobs, PackedBlob{Type: t, Ref: ref, Offset: uint32(p.buf.Len()), Length: uint32(len(data))})
	p.buf.Write(data)
}

// decodePack parses a pack's decompressed content, of either format.
// Format-2 headers carry no ids: the blobs' Refs are zero, and callers
// take them from the index or the blobs' hashes.
func decodePack(b []byte) ([]PackedBlob, error) { return decodePackInto(nil, b) }

// decodePackInto is decodePack appending to dst[:0] (its memory reused
// when large enough).
func decodePackInto(dst []PackedBlob, b []byte) ([]PackedBlob, error) {
	v1 := bytes.HasPrefix(b, packMagicV1)
	if !v1 && !bytes.HasPrefix(b, packMagic) {
		return nil, fmt.Errorf("%w: pack: bad magic", ErrCorrupt)
	}
	out := dst[:0]
	i := len(packMagic)
	for i < len(b) {
		t := BlobType(b[i])
		if t != DataBlob && t != TreeBlob {
			return nil, fmt.Errorf("%w: pack: blob type %d at %d", ErrCorrupt, t, i)
		}
		i++
		var ref Ref
		if v1 {
			if len(b)-i < len(ID{}) {
				return nil, fmt.Errorf("%w: pack: truncated blob header at %d", ErrCorrupt, i)
			}
			copy(ref[:], b[i:])
			i += len(ID{})
		}
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > maxBlob || n > uint64(len(b)-i-k) {
			return nil, fmt.Errorf("%w: pack: bad blob length at %d", ErrCorrupt, i)
		}
		i += k
		out = append(out, PackedBlob{Type: t, Ref: ref, Offset: uint32(i), Length: uint32(n)})
		i += int(n)
	}
	return out, nil
}

// IndexPack is one pack as an index file lists it.
type IndexPack struct {
	Pack  ID
	Blobs []PackedBlob
	// From, when not nil, has an element per blob: for a data blob whose
	// index entry takes its ref from a tree chunk (format 3), that chunk
	// and the entry; decodeIndex leaves such a blob's Ref zero until the
	// index resolves it (index.resolve).
	From []ChunkPos
	// ids, for a pack this process wrote, are its blobs' full ids (not
	// stored in the index: the local cache keeps them, ids/<pack>).
	ids []ID
}

// ChunkPos names a blob by where a tree chunk names it: the chunk's ref
// and the entry's place among a leaf's entries or a delta's changes.
type ChunkPos struct {
	Chunk Ref
	Entry uint32
	OK    bool // false: the entry's ref is explicit
}

// byChunk reports whether blob i of p takes its ref from a chunk.
func (p *IndexPack) byChunk(i int) bool { return p.From != nil && p.From[i].OK }

// encodeIndex writes format 4: per pack its id and blob count, then a
// column per field: every blob's type, then the gap between the end of
// the previous blob (or the start of the pack) and its offset (its header
// in the pack: one byte, for packs of either format), its length; then
// the pack's table of tree chunks, each blob's source (0: its ref is
// explicit, k+1: entry of chunk k of the table), for each blob given by
// chunk its entry as the difference from the entry after the previous
// one of that chunk (zigzag: consecutive entries cost a 0 byte), and last
// the explicit refs. Columns keep the refs' random bytes apart from the
// rest, which compresses to almost nothing: interleaved, zstd sometimes
// stored a whole index uncompressed (3.5 KB more for the index of a 1%
// push, in one run of four). Format 2 was the same without the table,
// sources and entries; format 3 without the name length.
//
// Format 4 writes the name length after the magic; an explicit data
// blob's name takes that many bytes when it is short, and 16 when it is
// long, which its type says (typeLongData: in the index only).
func encodeIndex(packs []IndexPack) []byte { return encodeIndexAs(packs, 4) }

// typeLongData is, in a format-4 index file's type column, a data blob
// named by 16 bytes.
const typeLongData = 3

func encodeIndexAs(packs []IndexPack, v int) []byte {
	var b []byte
	if v == 3 {
		b = append(b, indexMagicV3...)
	} else {
		b = append(b, indexMagic...)
		b = append(b, byte(nameLen))
	}
	b = binary.AppendUvarint(b, uint64(len(packs)))
	for _, p := range packs {
		b = append(b, p.Pack[:]...)
		b = binary.AppendUvarint(b, uint64(len(p.Blobs)))
		for _, x := range p.Blobs {
			if v == 4 && x.Type == DataBlob && !x.Ref.isShort(nameLen) {
				b = append(b, typeLongData)
			} else {
				b = append(b, byte(x.Type))
			}
		}
		end := uint32(0)
		for _, x := range p.Blobs {
			b = binary.AppendUvarint(b, uint64(x.Offset-end))
			end = x.Offset + x.Length
		}
		for _, x := range p.Blobs {
			b = binary.AppendUvarint(b, uint64(x.Length))
		}
		var table []Ref
		at := map[Ref]int{}
		src := make([]int, len(p.Blobs))
		for i := range p.Blobs {
			if !p.byChunk(i) {
				continue
			}
			c := p.From[i].Chunk
			k, ok := at[c]
			if !ok {
				k = len(table)
				at[c] = k
				table = append(table, c)
			}
			src[i] = k + 1
		}
		b = binary.AppendUvarint(b, uint64(len(table)))
		for _, c := range table {
			b = append(b, c[:]...)
		}
		for _, k := range src {
			b = binary.AppendUvarint(b, uint64(k))
		}
		next := make([]int64, len(table))
		for i, k := range src {
			if k == 0 {
				continue
			}
			e := int64(p.From[i].Entry)
			b = binary.AppendVarint(b, e-next[k-1])
			next[k-1] = e + 1
		}
		for i, x := range p.Blobs {
			if src[i] != 0 {
				continue
			}
			if v == 4 && x.Type == DataBlob && x.Ref.isShort(nameLen) {
				b = append(b, x.Ref[:nameLen]...)
			} else {
				b = append(b, x.Ref[:]...)
			}
		}
	}
	return b
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 || v > max {
		r.err = fmt.Errorf("%w: bad number", ErrCorrupt)
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *reader) id() (id ID) {
	if r.err != nil {
		return id
	}
	if len(r.b) < len(id) {
		r.err = fmt.Errorf("%w: truncated id", ErrCorrupt)
		return id
	}
	copy(id[:], r.b)
	r.b = r.b[len(id):]
	return id
}

func (r *reader) blobType() BlobType {
	t := BlobType(r.byte())
	if r.err == nil && t != DataBlob && t != TreeBlob {
		r.err = fmt.Errorf("%w: index: blob type %d", ErrCorrupt, t)
	}
	return t
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func decodeIndex(b []byte) ([]IndexPack, error) {
	v1 := bytes.HasPrefix(b, indexMagicV1)
	v3 := bytes.HasPrefix(b, indexMagicV3)
	v4 := bytes.HasPrefix(b, indexMagic)
	if !v1 && !v3 && !v4 && !bytes.HasPrefix(b, indexMagicV2) {
		return nil, fmt.Errorf("%w: index: bad magic", ErrCorrupt)
	}
	r := &reader{b: b[len(indexMagic):]}
	names := len(Ref{}) // format 3: every ref 16 bytes
	if v4 {
		names = int(r.byte())
		if r.err == nil && (names < 1 || names > maxNameLen) {
			r.err = fmt.Errorf("%w: index: name length %d", ErrCorrupt, names)
		}
	}
	n := r.uvarint(uint64(len(b)))
	var out []IndexPack
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := IndexPack{Pack: r.id()}
		m := r.uvarint(uint64(len(r.b)))
		switch {
		case v1:
			p.Blobs = decodeIndexPackV1(r, m)
		case v3 || v4:
			p.Blobs, p.From = decodeIndexPackV3(r, m, names, v4)
		default:
			p.Blobs = decodeIndexPack(r, m)
		}
		for _, x := range p.Blobs {
			if r.err == nil && uint64(x.Offset)+uint64(x.Length) > maxPackPlain {
				r.err = fmt.Errorf("%w: index: blob beyond a pack's size", ErrCorrupt)
			}
		}
		out = append(out, p)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: index: %d bytes after the end", ErrCorrupt, len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("index: %w", r.err)
	}
	return out, nil
}

// decodeIndexPackV1 reads m format-1 entries: type, id, offset, length.
func decodeIndexPackV1(r *reader, m uint64) []PackedBlob {
	var out []PackedBlob
	for j := uint64(0); j < m && r.err == nil; j++ {
		x := PackedBlob{Type: r.blobType()}
		x.Ref = r.id().Ref()
		x.Offset = uint32(r.uvarint(maxPackPlain))
		x.Length = uint32(r.uvarint(maxBlob))
		out = append(out, x)
	}
	return out
}

// decodeIndexPack reads the columns of m format-2 entries.
func decodeIndexPack(r *reader, m uint64) []PackedBlob {
	out := decodeIndexColumns(r, m, 1+1+1+uint64(len(Ref{})), nil)
	for j := range out {
		out[j].Ref = r.ref()
	}
	if r.err != nil {
		return nil
	}
	return out
}

// decodeIndexColumns reads the type, gap and length columns of m
// entries, each of which takes at least least bytes; with long, a type
// typeLongData is a data blob, reported in long.
func decodeIndexColumns(r *reader, m, least uint64, long []bool) []PackedBlob {
	if r.err == nil && m > uint64(len(r.b))/least {
		r.err = fmt.Errorf("%w: index: %d blobs in %d bytes", ErrCorrupt, m, len(r.b))
		return nil
	}
	if r.err != nil {
		return nil
	}
	out := make([]PackedBlob, m)
	gaps := make([]uint64, m)
	for j := range out {
		if long != nil && len(r.b) > 0 && r.b[0] == typeLongData {
			r.b = r.b[1:]
			out[j].Type, long[j] = DataBlob, true
			continue
		}
		out[j].Type = r.blobType()
	}
	for j := range gaps {
		gaps[j] = r.uvarint(maxPackPlain)
	}
	for j := range out {
		out[j].Length = uint32(r.uvarint(maxBlob))
	}
	end := uint64(0)
	for j := range out {
		off := min(end+gaps[j], maxPackPlain+1) // beyond: refused by the caller
		out[j].Offset = uint32(off)
		end = off + uint64(out[j].Length)
	}
	return out
}

// maxChunkEntries bounds the entry number of a by-chunk index entry: a
// chunk of at most maxBlob bytes holds fewer entries (each at least 3
// bytes: two varints and a name of 1 byte, or a removal's flag).
const maxChunkEntries = maxBlob / 3

// decodeIndexPackV3 reads the columns of m format-3 or -4 entries: those
// of format 2, the chunk table, sources and entries, then the explicit
// refs (in format 4 (v4), a short data blob's name of names bytes). Only
// data blobs may be given by chunk.
func decodeIndexPackV3(r *reader, m uint64, names int, v4 bool) ([]PackedBlob, []ChunkPos) {
	var long []bool
	if v4 {
		long = make([]bool, min(m, uint64(len(r.b))))
	}
	out := decodeIndexColumns(r, m, 1+1+1+1, long)
	n := r.uvarint(uint64(len(r.b)) / uint64(len(Ref{})))
	if r.err == nil && n > m {
		r.err = fmt.Errorf("%w: index: %d chunks for %d blobs", ErrCorrupt, n, m)
	}
	if r.err != nil {
		return nil, nil
	}
	table := make([]Ref, n)
	for k := range table {
		table[k] = r.ref()
	}
	src := make([]uint64, m)
	by := 0
	for j := range src {
		src[j] = r.uvarint(n)
		if src[j] != 0 {
			by++
			if r.err == nil && out[j].Type != DataBlob {
				r.err = fmt.Errorf("%w: index: a tree chunk's ref given by chunk", ErrCorrupt)
			}
		}
	}
	var from []ChunkPos
	if by > 0 {
		from = make([]ChunkPos, m)
	}
	next := make([]int64, n)
	for j, k := range src {
		if k == 0 || r.err != nil {
			continue
		}
		v, w := binary.Varint(r.b)
		if w <= 0 {
			r.err = fmt.Errorf("%w: bad number", ErrCorrupt)
			break
		}
		r.b = r.b[w:]
		e := next[k-1] + v
		if e < 0 || e >= maxChunkEntries {
			r.err = fmt.Errorf("%w: index: chunk entry %d out of range", ErrCorrupt, e)
			break
		}
		next[k-1] = e + 1
		from[j] = ChunkPos{Chunk: table[k-1], Entry: uint32(e), OK: true}
	}
	for j := range out {
		if src[j] != 0 {
			continue
		}
		if v4 && out[j].Type == DataBlob && !long[j] {
			copy(out[j].Ref[:], r.bytes(uint64(names)))
			continue
		}
		out[j].Ref = r.ref()
	}
	if r.err != nil {
		return nil, nil
	}
	return out, from
}

// Tree chunk formats.
const (
	leafFormat   byte = 1 // entries: key, blob ref
	nodeFormat   byte = 2 // child chunk refs
	deltaFormat  byte = 3 // a base tree's root, and the keys set or removed since
	leafFormat4  byte = 4 // the name length, then entries: key (its prefix length doubled, +1 for a long name), blob name
	deltaFormat4 byte = 5 // the name length, a base tree's root, changes: key, 0 (removed), 1 and a short name, or 2 and a long one
)

// Delta is a tree chunk that states a collection as changes to another
// tree (its base): keys set to a blob, keys removed, in the local store's
// key order (a diff's).
type Delta struct {
	Base    Ref
	Changes []Change
}

// Change is one key of a Delta: set to Ref, or removed.
type Change struct {
	Key     string
	Ref     Ref
	Removed bool
}

func encodeDelta(d Delta) []byte {
	b := []byte{deltaFormat4, byte(nameLen)}
	b = append(b, d.Base[:]...)
	b = binary.AppendUvarint(b, uint64(len(d.Changes)))
	prev := ""
	for _, c := range d.Changes {
		p := commonPrefix(prev, c.Key)
		b = binary.AppendUvarint(b, uint64(p))
		b = binary.AppendUvarint(b, uint64(len(c.Key)-p))
		b = append(b, c.Key[p:]...)
		switch {
		case c.Removed:
			b = append(b, 0)
		case c.Ref.isShort(nameLen):
			b = append(b, 1)
			b = append(b, c.Ref[:nameLen]...)
		default:
			b = append(b, 2)
			b = append(b, c.Ref[:]...)
		}
		prev = c.Key
	}
	return b
}

// Ref is how trees name blobs and chunks: the first 16 bytes of the id.
// Half the bytes of a full id in every tree entry, where most of a
// changed chunk's bytes are; a push that meets two blobs whose refs are
// equal and ids differ (about 2^-64 at 2^32 blobs) fails rather than
// store an ambiguous tree.
type Ref [16]byte

// Ref returns the id's ref.
func (id ID) Ref() (r Ref) {
	copy(r[:], id[:])
	return r
}

// Entry is one object of a collection: its key and its blob's ref.
type Entry struct {
	Key string
	Ref Ref
}

func encodeLeaf(es []Entry) []byte {
	b := []byte{leafFormat4, byte(nameLen)}
	b = binary.AppendUvarint(b, uint64(len(es)))
	prev := ""
	for _, e := range es {
		p := commonPrefix(prev, e.Key)
		short := e.Ref.isShort(nameLen)
		if short {
			b = binary.AppendUvarint(b, uint64(2*p))
		} else {
			b = binary.AppendUvarint(b, uint64(2*p+1))
		}
		b = binary.AppendUvarint(b, uint64(len(e.Key)-p))
		b = append(b, e.Key[p:]...)
		if short {
			b = append(b, e.Ref[:nameLen]...)
		} else {
			b = append(b, e.Ref[:]...)
		}
		prev = e.Key
	}
	return b
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func encodeNode(refs []Ref) []byte {
	b := []byte{nodeFormat}
	b = binary.AppendUvarint(b, uint64(len(refs)))
	for _, r := range refs {
		b = append(b, r[:]...)
	}
	return b
}

func (r *reader) ref() (out Ref) {
	copy(out[:], r.bytes(uint64(len(out))))
	return out
}

// chunk is a decoded tree chunk: a leaf's entries, a node's children or
// a delta.
type chunk struct {
	leaf     []Entry
	children []Ref
	delta    *Delta
}

// decodeChunk decodes a tree chunk of any format. Keys are in the local
// store's order, which this package does not know (nor need: a delta is
// applied by key, not by merging sorted lists).
func decodeChunk(b []byte) (chunk, error) { return decodeChunkKeys(b, true) }

// decodeRefs decodes a tree chunk as decodeChunk does, checking the
// same, but leaves every key empty: for the readers that follow refs
// alone (restore's discovery of the objects the trees name, the
// resolution of index entries given by chunk, prune's walk), which
// spent a string a key (a million at a million objects) and then
// dropped it.
func decodeRefs(b []byte) (chunk, error) { return decodeChunkKeys(b, false) }

// keyDec rebuilds the prefix-compressed keys of one chunk: into one
// growing buffer (a string a key was an allocation each), or, when the
// keys are not wanted, only their lengths, which bound the next key's
// shared prefix as before.
type keyDec struct {
	want    bool
	sb      strings.Builder
	prev    string
	prevLen int
}

// key returns the key that shares p bytes with the one before and ends
// with s.
func (kd *keyDec) key(p int, s []byte) string {
	kd.prevLen = p + len(s)
	if !kd.want {
		return ""
	}
	start := kd.sb.Len()
	kd.sb.WriteString(kd.prev[:p])
	kd.sb.Write(s)
	// The builder only appends: what String returned before stays as
	// it was, so each key is a slice of it.
	k := kd.sb.String()[start:]
	kd.prev = k
	return k
}

func decodeChunkKeys(b []byte, withKeys bool) (chunk, error) {
	var c chunk
	r := &reader{b: b}
	kd := &keyDec{want: withKeys}
	if withKeys {
		kd.sb.Grow(len(b))
	}
	// room bounds a count read from the chunk by the entries its bytes
	// left can hold, at least per bytes each (nil for none, as appending
	// none left it).
	room := func(n uint64, per int) int { return int(min(n, uint64(len(r.b)/per))) }
	keys := func(n uint64, fn func(key string)) {
		for i := uint64(0); i < n && r.err == nil; i++ {
			p := r.uvarint(uint64(kd.prevLen))
			fn(kd.key(int(p), r.bytes(r.uvarint(uint64(len(b))))))
		}
	}
	names := func() int {
		n := int(r.byte())
		if r.err == nil && (n < 1 || n > maxNameLen) {
			r.err = fmt.Errorf("%w: name length %d", ErrCorrupt, n)
		}
		return n
	}
	short := func(n int) (out Ref) {
		copy(out[:], r.bytes(uint64(n)))
		return out
	}
	switch f := r.byte(); f {
	case leafFormat:
		n := r.uvarint(uint64(len(b)))
		if n > 0 {
			c.leaf = make([]Entry, 0, room(n, 2+len(Ref{})))
		}
		keys(n, func(k string) { c.leaf = append(c.leaf, Entry{Key: k, Ref: r.ref()}) })
	case leafFormat4:
		n := names()
		cnt := r.uvarint(uint64(len(b)))
		if cnt > 0 {
			c.leaf = make([]Entry, 0, room(cnt, 2+max(n, 1)))
		}
		for i := uint64(0); i < cnt && r.err == nil; i++ {
			p := r.uvarint(2*uint64(kd.prevLen) + 1)
			e := Entry{Key: kd.key(int(p/2), r.bytes(r.uvarint(uint64(len(b)))))}
			if p%2 == 1 {
				e.Ref = r.ref()
			} else {
				e.Ref = short(n)
			}
			c.leaf = append(c.leaf, e)
		}
	case nodeFormat:
		n := r.uvarint(uint64(len(b)))
		if n > 0 {
			c.children = make([]Ref, 0, room(n, len(Ref{})))
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			c.children = append(c.children, r.ref())
		}
	case deltaFormat, deltaFormat4:
		n := len(Ref{})
		if f == deltaFormat4 {
			n = names()
		}
		d := &Delta{Base: r.ref()}
		cnt := r.uvarint(uint64(len(b)))
		if cnt > 0 {
			d.Changes = make([]Change, 0, room(cnt, 3))
		}
		keys(cnt, func(k string) {
			ch := Change{Key: k}
			switch op := r.byte(); {
			case op == 0:
				ch.Removed = true
			case op == 1:
				ch.Ref = short(n)
			case op == 2 && f == deltaFormat4:
				ch.Ref = r.ref()
			default:
				if r.err == nil {
					r.err = fmt.Errorf("%w: delta: bad change", ErrCorrupt)
				}
			}
			d.Changes = append(d.Changes, ch)
		})
		c.delta = d
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%w: unknown chunk format", ErrCorrupt)
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the chunk", ErrCorrupt, len(r.b))
	}
	if r.err != nil {
		return chunk{}, fmt.Errorf("tree chunk: %w", r.err)
	}
	return c, nil
}
